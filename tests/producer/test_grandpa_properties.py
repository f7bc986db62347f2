"""Hypothesis properties of the GRANDPA voters over random simulator schedules.

Safety (no conflicting finality with at most f Byzantine voters, under arbitrary delays,
drops and partitions), liveness (everything produced gets finalized with up to f crashed
voters when the network is synchronous enough), certificate and evidence soundness,
equivocation detection, and restarts after ``kill -9`` that never equivocate.
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.producer.finality.messages import (
    decode_certificate,
    decode_evidence,
    encode_certificate,
    encode_evidence,
    verify_certificate,
    verify_evidence,
)
from agents.producer.grandpa import GrandpaConfig
from agents.producer.grandpa_sim import (
    Behaviour,
    Crash,
    NetworkConfig,
    Partition,
    SimulationConfig,
    SimulationResult,
    conflicting_finalizations,
    honest_equivocations,
    invalid_certificates,
    invalid_evidence,
    run_simulation,
    undetected_equivocations,
)

T = 40
SCALE = float(os.environ.get("GRANDPA_EXAMPLES_SCALE", "1"))  # more examples for soak runs
TIMING = GrandpaConfig(gossip_duration=T, rebroadcast_interval=5 * T)


def examples(count: int) -> int:
    return max(1, int(count * SCALE))


SIM_SETTINGS = settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_sound(result: SimulationResult) -> None:
    assert conflicting_finalizations(result) == []
    assert invalid_certificates(result) == []
    assert invalid_evidence(result) == []
    assert honest_equivocations(result) == []


@st.composite
def adversarial_schedules(draw: st.DrawFn) -> SimulationConfig:
    voters = draw(st.sampled_from([4, 5, 7]))
    faulty = draw(st.integers(0, (voters - 1) // 3))
    order = draw(st.permutations(range(voters)))
    byzantine = tuple((order[i], draw(st.sampled_from(Behaviour))) for i in range(faulty))
    min_delay = draw(st.integers(1, 30))
    max_delay = draw(st.integers(min_delay, 4 * T))  # can exceed T: asynchrony
    partitions: tuple[Partition, ...] = ()
    if draw(st.booleans()):
        # split the honest voters; Byzantine voters stay connected to both sides
        start = draw(st.integers(0, 900))
        honest = order[faulty:]
        cut = draw(st.integers(1, max(1, len(honest) - 1)))
        bridge = frozenset(order[:faulty])
        groups = (frozenset(honest[:cut]) | bridge, frozenset(honest[cut:]) | bridge)
        partitions = (Partition(start, start + draw(st.integers(50, 1_000)), groups),)
    return SimulationConfig(
        voters=voters,
        seed=draw(st.integers(0, 2**32 - 1)),
        duration=1_500,
        block_interval=draw(st.integers(20, 150)),
        fork_probability=draw(st.sampled_from([0.0, 0.3, 0.7])),
        network=NetworkConfig(
            min_delay,
            max_delay,
            draw(st.sampled_from([0.0, 0.05, 0.3])),
            gossip=draw(st.booleans()),
        ),
        grandpa=TIMING,
        byzantine=byzantine,
        partitions=partitions,
    )


@SIM_SETTINGS
@given(adversarial_schedules())
def test_safety_with_at_most_f_byzantine(config: SimulationConfig) -> None:
    """No two honest voters finalize conflicting blocks; every certificate verifies."""
    assert_sound(run_simulation(config))


def test_the_safety_check_has_teeth_with_f_plus_one_byzantine() -> None:
    """Two mirroring Byzantine voters of 4 bridging a partition do split finality: the
    adversary and the checker used above are strong enough to see a violation."""
    bridge = frozenset({0, 1})
    config = SimulationConfig(
        voters=4,
        seed=1,
        duration=1_500,
        block_interval=50,
        fork_probability=0.7,
        network=NetworkConfig(1, T),
        grandpa=TIMING,
        byzantine=((0, Behaviour.MIRROR), (1, Behaviour.MIRROR)),
        partitions=(Partition(0, 1_500, (bridge | {2}, bridge | {3})),),
    )
    assert conflicting_finalizations(run_simulation(config))
    one_byzantine = SimulationConfig(
        voters=4,
        seed=1,
        duration=1_500,
        block_interval=50,
        fork_probability=0.7,
        network=NetworkConfig(1, T),
        grandpa=TIMING,
        byzantine=((0, Behaviour.MIRROR),),
        partitions=(Partition(0, 1_500, (frozenset({0, 1, 2}), frozenset({0, 3}))),),
    )
    assert_sound(run_simulation(one_byzantine))


@st.composite
def synchronous_schedules_with_crashes(draw: st.DrawFn) -> SimulationConfig:
    voters = draw(st.sampled_from([1, 4, 7]))
    crashed = draw(st.integers(0, (voters - 1) // 3))
    order = draw(st.permutations(range(voters)))
    crashes = tuple(Crash(order[i], draw(st.sampled_from([0, 300, 700]))) for i in range(crashed))
    min_delay = draw(st.integers(1, T // 2))
    return SimulationConfig(
        voters=voters,
        seed=draw(st.integers(0, 2**32 - 1)),
        duration=2_200,
        block_interval=draw(st.integers(30, 150)),
        fork_probability=draw(st.sampled_from([0.0, 0.3])),
        production_stops_at=1_000,
        network=NetworkConfig(min_delay, draw(st.integers(min_delay, T))),
        grandpa=TIMING,
        crashes=crashes,
    )


def assert_all_finalized(result: SimulationResult) -> None:
    live = sorted(result.alive_at_end)
    finalized = {result.final_finalized[i] for i in live}
    assert len(finalized) == 1, finalized
    (block,) = finalized
    assert all(result.final_best_heads[i] == block for i in live)  # nothing left unfinalized
    assert block.number >= 1


@SIM_SETTINGS
@given(synchronous_schedules_with_crashes())
def test_liveness_with_up_to_f_crashed(config: SimulationConfig) -> None:
    """With delays <= T and up to f voters down, every produced chain gets finalized."""
    result = run_simulation(config)
    assert_sound(result)
    assert_all_finalized(result)
    rounds_per_second = min(result.final_rounds[i] for i in result.alive_at_end) / 2.2
    assert rounds_per_second > 1_000 / (8 * T) / 2  # rounds keep moving


@st.composite
def equivocating_schedules(draw: st.DrawFn) -> SimulationConfig:
    voters = draw(st.sampled_from([4, 7]))
    faulty = draw(st.integers(1, (voters - 1) // 3))
    order = draw(st.permutations(range(voters)))
    min_delay = draw(st.integers(1, T // 2))
    return SimulationConfig(
        voters=voters,
        seed=draw(st.integers(0, 2**32 - 1)),
        duration=1_000,
        block_interval=draw(st.integers(30, 150)),
        fork_probability=0.3,
        network=NetworkConfig(min_delay, draw(st.integers(min_delay, T)), gossip=True),
        grandpa=TIMING,
        byzantine=tuple((order[i], Behaviour.EQUIVOCATE) for i in range(faulty)),
    )


@settings(SIM_SETTINGS, max_examples=examples(15))
@given(equivocating_schedules())
def test_equivocations_are_always_detected(config: SimulationConfig) -> None:
    """Every double vote a Byzantine voter gossips is reported with valid evidence."""
    result = run_simulation(config)
    assert_sound(result)
    assert result.byzantine_equivocations
    settled = min(result.final_rounds.values()) - 2
    missed = {key for key in undetected_equivocations(result) if key[1] <= settled}
    assert missed == set()


@st.composite
def crashing_schedules(draw: st.DrawFn) -> SimulationConfig:
    voters = draw(st.sampled_from([1, 4, 7]))
    crashes = []
    for _ in range(draw(st.integers(1, 2 * voters))):
        at = draw(st.integers(0, 1_100))
        crashes.append(
            Crash(
                node=draw(st.integers(0, voters - 1)),
                at=at,
                restart_at=at + draw(st.integers(1, 300)),
                actions_kept=draw(st.one_of(st.none(), st.integers(0, 4))),
            )
        )
    min_delay = draw(st.integers(1, T // 2))
    return SimulationConfig(
        voters=voters,
        seed=draw(st.integers(0, 2**32 - 1)),
        duration=3_000,
        block_interval=draw(st.integers(30, 150)),
        fork_probability=draw(st.sampled_from([0.0, 0.3])),
        production_stops_at=1_500,
        network=NetworkConfig(min_delay, draw(st.integers(min_delay, T))),
        grandpa=TIMING,
        crashes=tuple(crashes),
    )


@SIM_SETTINGS
@given(crashing_schedules())
def test_restarts_from_snapshots_never_equivocate(config: SimulationConfig) -> None:
    """kill -9 at any point (even between persisting and sending) then restart: no honest
    double vote, no conflicting finality, and the chain still gets finalized."""
    result = run_simulation(config)
    assert result.restarts >= 1
    assert_sound(result)
    assert_all_finalized(result)


@cache
def sample_run() -> SimulationResult:
    config = SimulationConfig(
        voters=7,
        seed=11,
        duration=1_500,
        fork_probability=0.3,
        network=NetworkConfig(1, T, gossip=True),
        grandpa=TIMING,
        byzantine=((6, Behaviour.EQUIVOCATE),),
    )
    result = run_simulation(config)
    assert result.finalizations and result.evidence
    return result


@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_tampered_certificates_never_verify(data: st.DataObject) -> None:
    result = sample_run()
    record = data.draw(st.sampled_from(result.finalizations))
    encoded = encode_certificate(record.certificate)
    assert verify_certificate(decode_certificate(encoded), result.voter_set)
    positions = data.draw(
        st.lists(st.integers(0, len(encoded) - 1), min_size=1, max_size=3, unique=True)
    )
    tampered = bytearray(encoded)
    for position in positions:
        tampered[position] ^= data.draw(st.integers(1, 255))
    try:
        decoded = decode_certificate(bytes(tampered))
    except ValueError:
        return
    assert not verify_certificate(decoded, result.voter_set)


@settings(max_examples=examples(100), deadline=None)
@given(st.data())
def test_tampered_evidence_never_verifies(data: st.DataObject) -> None:
    result = sample_run()
    _, evidence = data.draw(st.sampled_from(result.evidence))
    encoded = encode_evidence(evidence)
    assert verify_evidence(decode_evidence(encoded), result.voter_set)
    tampered = bytearray(encoded)
    position = data.draw(st.integers(0, len(encoded) - 1))
    tampered[position] ^= data.draw(st.integers(1, 255))
    try:
        decoded = decode_evidence(bytes(tampered))
    except ValueError:
        return
    assert not verify_evidence(decoded, result.voter_set)


def test_certificates_missing_a_precommit_fail() -> None:
    """Voters put just enough precommits in a certificate: any one removed breaks it."""
    result = sample_run()
    for record in result.finalizations[:20]:
        cert = record.certificate
        for dropped in range(len(cert.precommits)):
            kept = cert.precommits[:dropped] + cert.precommits[dropped + 1 :]
            fewer = replace(cert, precommits=kept)
            assert not verify_certificate(fewer, result.voter_set)
