"""Pure tests of the dispute agents: traces, lifecycle state machine, solver, and the
honest-side-wins property on the reference model (thousands of games, no chain)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.dispute import merkle
from agents.dispute.game import (
    TRANSITIONS,
    GamePhase,
    GameState,
    GameStatus,
    IllegalTransition,
    Level,
    Player,
    Resolution,
    check_transition,
    phase_of,
)
from agents.dispute.model import GameModel, ModelRevert, alphabet_step
from agents.dispute.solver import (
    ZERO_HASH,
    Answer,
    ClaimView,
    ResolveTimeout,
    SubmitStep,
    plan_challenge,
    solve,
)
from agents.dispute.testing import (
    DISHONEST_STRATEGIES,
    dispute_scenarios,
    model_config,
    simulate_scenario,
)
from agents.dispute.trace import AlphabetTraceProvider, TraceProvider, first_wrong_root

CONFIG = model_config(3)


def _state(**overrides: object) -> GameState:
    base = GameState(
        game_id=1,
        claim_id=ZERO_HASH,
        challenger="0xC",
        defender="0xD",
        bond=1,
        status=GameStatus.IN_PROGRESS,
        level=Level.TRANSACTIONS,
        turn=Player.DEFENDER,
        hi_claimant=Player.DEFENDER,
        mid_pending=True,
        resolution=Resolution.NONE,
        last_move_at=100,
        challenger_clock_used=0,
        defender_clock_used=0,
        moves=1,
        disputed_tx=4,
        tx_index=0,
        tx_count=4,
        lo=0,
        hi=4,
        lo_hash=ZERO_HASH,
        hi_hash=ZERO_HASH,
        mid_hash=ZERO_HASH,
        tx_roots_commitment=ZERO_HASH,
        trace_context=ZERO_HASH,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


# -- traces ------------------------------------------------------------------------------


def test_alphabet_trace_is_a_trace_provider() -> None:
    assert isinstance(AlphabetTraceProvider(2, 1), TraceProvider)


@given(st.integers(1, 20), st.integers(0, 6), st.data())
def test_alphabet_steps_chain_across_transactions(tx_count: int, depth: int, data) -> None:
    trace = AlphabetTraceProvider(tx_count, depth)
    tx = data.draw(st.integers(1, tx_count))
    step = data.draw(st.integers(0, (1 << depth) - 1))
    post = alphabet_step(trace.step_state(tx, step), trace.step_proof(tx, step))
    assert post == trace.step_state(tx, step + 1)
    # Trace ends are the transaction roots (the AlphabetVM's identity binding).
    assert trace.step_state(tx, 0) == trace.tx_root(tx - 1)
    assert trace.step_state(tx, 1 << depth) == trace.tx_root(tx)


def test_liar_differs_exactly_on_its_window() -> None:
    truth = AlphabetTraceProvider(4, 2)
    liar = truth.with_lie(5, 9)
    for step in range(truth.total_steps + 1):
        assert (truth.state_at(step) != liar.state_at(step)) == (5 <= step < 9)
    assert first_wrong_root(truth, liar.tx_roots()) == 2  # r_2 = step 8
    assert first_wrong_root(truth, truth.tx_roots()) is None
    with pytest.raises(ValueError):
        truth.with_lie(0)
    with pytest.raises(IndexError):
        truth.step_proof(1, 4)


# -- state machine -----------------------------------------------------------------------


def test_phase_of_each_state() -> None:
    assert phase_of(_state()) is GamePhase.BISECTING_TRANSACTIONS
    assert phase_of(_state(level=Level.STEPS)) is GamePhase.BISECTING_STEPS
    assert phase_of(_state(level=Level.STEPS, mid_pending=False)) is GamePhase.AWAITING_STEP
    assert phase_of(_state(status=GameStatus.CHALLENGER_WON)) is GamePhase.CHALLENGER_WON
    assert phase_of(_state(status=GameStatus.DEFENDER_WON)) is GamePhase.DEFENDER_WON
    with pytest.raises(ValueError):
        phase_of(_state(status=GameStatus.NONE))


def test_transitions_are_forward_only() -> None:
    order = list(GamePhase)
    for before, targets in TRANSITIONS.items():
        for after in targets:
            assert order.index(after) > order.index(before)
    check_transition(GamePhase.BISECTING_STEPS, GamePhase.BISECTING_STEPS)
    check_transition(GamePhase.AWAITING_STEP, GamePhase.DEFENDER_WON)
    with pytest.raises(IllegalTransition):
        check_transition(GamePhase.BISECTING_STEPS, GamePhase.BISECTING_TRANSACTIONS)
    with pytest.raises(IllegalTransition):
        check_transition(GamePhase.CHALLENGER_WON, GamePhase.DEFENDER_WON)


def test_clocks() -> None:
    state = _state(defender_clock_used=10, challenger_clock_used=7)
    assert state.clock_used(Player.DEFENDER, 150) == 60
    assert state.clock_used(Player.CHALLENGER, 150) == 7
    assert state.clock_remaining(CONFIG, Player.DEFENDER, 150) == 3600 - 60
    assert not state.clock_expired(CONFIG, Player.DEFENDER, 100 + 3590)
    assert state.clock_expired(CONFIG, Player.DEFENDER, 100 + 3591)


# -- solver ------------------------------------------------------------------------------


def test_solver_waits_when_resolved_or_not_its_turn() -> None:
    trace = AlphabetTraceProvider(4, 3)
    assert solve(_state(status=GameStatus.DEFENDER_WON), CONFIG, Player.DEFENDER, trace, 0) == []
    assert solve(_state(), CONFIG, Player.CHALLENGER, trace, 100) == []


def test_solver_claims_timeout_only_against_the_opponent() -> None:
    trace = AlphabetTraceProvider(4, 3)
    late = 100 + 3601
    assert solve(_state(), CONFIG, Player.CHALLENGER, trace, late) == [ResolveTimeout(1)]
    assert solve(_state(), CONFIG, Player.DEFENDER, trace, late) == []


def test_solver_answers_with_merkle_proof_as_defender() -> None:
    trace = AlphabetTraceProvider(4, 3)
    state = _state(mid_hash=trace.tx_root(2), lo_hash=trace.tx_root(0), hi_hash=trace.tx_root(4))
    (move,) = solve(state, CONFIG, Player.DEFENDER, trace, 100)
    assert move == Answer(1, True, trace.tx_root(3), tuple(merkle.proof(trace.tx_roots(), 2)))


def test_solver_switches_level_when_one_transaction_is_left() -> None:
    trace = AlphabetTraceProvider(4, 3)
    liar = trace.with_lie(17)  # tx 3 (steps 16..24) is wrong from its step 1
    state = _state(lo=2, hi=4, mid_hash=liar.tx_root(3), turn=Player.CHALLENGER)
    (move,) = solve(state, CONFIG, Player.CHALLENGER, trace, 100)
    # Disagrees with r_3, so the trace of tx 3 is bisected next: claim its step 4.
    assert move == Answer(1, False, trace.step_state(3, 4))


def test_solver_steps_only_when_it_wins() -> None:
    trace = AlphabetTraceProvider(2, 3)
    liar = trace.with_lie(5)
    awaiting = _state(
        level=Level.STEPS,
        mid_pending=False,
        tx_index=1,
        lo=4,
        hi=5,
        lo_hash=trace.step_state(1, 4),
        hi_hash=liar.step_state(1, 5),
        hi_claimant=Player.DEFENDER,
    )
    (move,) = solve(awaiting, CONFIG, Player.CHALLENGER, trace, 100)
    assert move == SubmitStep(1, trace.step_proof(1, 4))
    # The defender's side of the same truth predicts a loss: it does not hurry it.
    assert solve(awaiting, CONFIG, Player.DEFENDER, trace, 100) == []
    # A liar believes its own trace and steps (and the VM proves it wrong).
    assert solve(awaiting, CONFIG, Player.DEFENDER, liar, 100) == [
        SubmitStep(1, liar.step_proof(1, 4))
    ]


def test_plan_challenge() -> None:
    truth = AlphabetTraceProvider(6, 2)
    liar = truth.with_lie(9)
    view = ClaimView(
        b"\x01" * 32,
        "0xD",
        liar.tx_root(0),
        tuple(liar.tx_roots()),
        merkle.commitment(liar.tx_roots()),
    )
    opening = plan_challenge(view, truth)
    assert opening is not None
    assert opening.disputed_tx == 3  # r_3 = step 12 is the first wrong root
    assert opening.disputed_root == liar.tx_root(3)
    assert opening.mid_hash == truth.tx_root(1)
    assert merkle.verify(view.tx_roots_commitment, 6, 2, opening.disputed_root, opening.root_proof)
    honest_view = replace(view, tx_roots=tuple(truth.tx_roots()))
    assert plan_challenge(honest_view, truth) is None
    foreign = replace(view, pre_state_root=b"\x02" * 32)
    assert plan_challenge(foreign, truth) is None


# -- reference model ---------------------------------------------------------------------


def test_model_rejects_what_the_contract_rejects() -> None:
    truth = AlphabetTraceProvider(4, 2)
    liar = truth.with_lie(3)
    roots = liar.tx_roots()
    proof = merkle.proof(roots, 3)
    with pytest.raises(ModelRevert, match="InvalidTxRootProof"):
        GameModel.open(2, truth.tx_root(0), roots, 4, truth.tx_root(4), proof, truth.tx_root(2))
    with pytest.raises(ModelRevert, match="ZeroStateHash"):
        GameModel.open(2, truth.tx_root(0), roots, 4, liar.tx_root(4), proof, ZERO_HASH)
    game = GameModel.open(2, truth.tx_root(0), roots, 4, liar.tx_root(4), proof, truth.tx_root(2))
    with pytest.raises(ModelRevert, match="NotYourTurn"):
        game.apply(Player.CHALLENGER, Answer(1, True, truth.tx_root(3)))
    with pytest.raises(ModelRevert, match="InvalidTxRootProof"):
        game.apply(Player.DEFENDER, Answer(1, False, liar.tx_root(1)))
    with pytest.raises(ModelRevert, match="NotAwaitingStep"):
        game.apply(Player.DEFENDER, SubmitStep(1, b""))


@settings(max_examples=600, deadline=None)
@given(dispute_scenarios(max_txs=200, max_step_depth=12))
def test_honest_side_always_wins_on_the_model(scenario) -> None:
    outcome = simulate_scenario(scenario)
    assert outcome.honest_won, scenario
    assert outcome.transactions <= outcome.bound, scenario


@pytest.mark.parametrize("strategy", DISHONEST_STRATEGIES)
@pytest.mark.parametrize("liar", list(Player))
def test_each_strategy_on_a_large_pack(strategy: str, liar: Player) -> None:
    from agents.dispute.testing import DisputeScenario

    scenario = DisputeScenario(1000, 20, 613_000_123, liar, strategy, 777, seed=3)
    outcome = simulate_scenario(scenario)
    assert outcome.honest_won
    assert outcome.transactions <= 10 + 20 + 2
