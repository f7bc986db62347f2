"""A deterministic in-process network simulator for GRANDPA voters (tests and measurements).

One seeded ``random.Random`` drives everything: message delays, drops, which producer
builds the next block and on which fork, and what Byzantine voters send. Time is an integer
number of milliseconds on a simulated clock; events run from a heap in (time, sequence)
order, so a seed always replays the same run.

What can go wrong in a run:

- message delays in ``[min_delay, max_delay]``, drops with ``drop_probability``;
- partitions: during ``[start, end)`` votes and certificates between groups are lost;
- crashes: a node stops at ``at`` — optionally in the middle of carrying out one
  ``handle`` call's actions, like ``kill -9`` — and, if ``restart_at`` is set, resumes from
  its last :class:`PersistState` snapshot (blocks are synced to it again);
- Byzantine voters: ``equivocate`` (two different signed votes per round and phase, sent
  to different halves of the network or to everyone), ``conflicting`` (one vote per phase
  for a random block on any fork), ``mirror`` (the split-brain attack: answer every honest
  vote with the same vote signed by itself, sent back to that voter only, so each side of a
  partition sees the Byzantine voters agreeing with it) or ``silent``.

Blocks themselves are assumed to sync reliably: they are delivered with the normal delay,
never dropped. With ``gossip`` on, an honest node relays every vote it sees for the first
time to all peers (a flooding gossip layer outside the voter).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import coincurve

from agents.producer.finality.messages import (
    EquivocationEvidence,
    Phase,
    SignedVote,
    Vote,
    VoterSet,
    address_of,
    genesis_block,
    keccak,
    sign_vote,
    verify_certificate,
    verify_evidence,
)
from agents.producer.grandpa import (
    Block,
    BlockImported,
    BroadcastCertificate,
    BroadcastVote,
    CertificateReceived,
    EquivocationFound,
    FinalityCertificate,
    Finalized,
    GrandpaConfig,
    PersistState,
    ScheduleTimer,
    TimerFired,
    Voter,
    VoteReceived,
)


class Behaviour(Enum):
    EQUIVOCATE = "equivocate"
    CONFLICTING = "conflicting"
    MIRROR = "mirror"
    SILENT = "silent"


@dataclass(frozen=True)
class NetworkConfig:
    min_delay: int = 5
    max_delay: int = 30
    drop_probability: float = 0.0
    gossip: bool = False


@dataclass(frozen=True)
class Partition:
    """During ``[start, end)`` nodes in different groups cannot exchange votes."""

    start: int
    end: int
    groups: tuple[frozenset[int], ...]

    def separates(self, a: int, b: int, now: int) -> bool:
        if not self.start <= now < self.end:
            return False
        return not any(a in group and b in group for group in self.groups)


@dataclass(frozen=True)
class Crash:
    """Node ``node`` dies at ``at`` after carrying out ``actions_kept`` of its next handle's
    actions (None: between two events); it restarts from its snapshot at ``restart_at``."""

    node: int
    at: int
    restart_at: int | None = None
    actions_kept: int | None = None


@dataclass(frozen=True)
class SimulationConfig:
    voters: int
    seed: int = 0
    duration: int = 3_000
    block_interval: int = 100
    fork_probability: float = 0.0
    production_stops_at: int | None = None
    network: NetworkConfig = NetworkConfig()
    grandpa: GrandpaConfig = GrandpaConfig(gossip_duration=40, rebroadcast_interval=200)
    byzantine: tuple[tuple[int, Behaviour], ...] = ()
    crashes: tuple[Crash, ...] = ()
    partitions: tuple[Partition, ...] = ()
    chain_id: int = 901
    set_id: int = 0


@dataclass
class FinalizationRecord:
    node: int
    time: int
    block: Block
    certificate: FinalityCertificate


@dataclass
class SimulationResult:
    config: SimulationConfig
    voter_set: VoterSet
    blocks: dict[bytes, Block]
    produced_at: dict[bytes, int]
    finalizations: list[FinalizationRecord]
    evidence: list[tuple[int, EquivocationEvidence]]
    signed_by_honest: dict[int, list[SignedVote]]  # every vote an honest node sent, all lives
    byzantine_equivocations: set[tuple[int, int, int]]  # (voter, round, phase) double-signed
    final_rounds: dict[int, int]
    final_finalized: dict[int, Block]
    final_best_heads: dict[int, Block]
    alive_at_end: set[int]
    vote_messages: int = 0
    certificate_messages: int = 0
    restarts: int = 0

    @property
    def honest(self) -> list[int]:
        byzantine = {node for node, _ in self.config.byzantine}
        return [i for i in range(self.config.voters) if i not in byzantine]


def node_key(seed: int, node: int) -> coincurve.PrivateKey:
    """The deterministic signing key of simulated node ``node``."""
    return coincurve.PrivateKey(keccak(b"grandpa-sim" + seed.to_bytes(8, "big") + bytes([node])))


def make_voter_set(voters: int, seed: int = 0, chain_id: int = 901, set_id: int = 0) -> VoterSet:
    return VoterSet.of(chain_id, set_id, [address_of(node_key(seed, i)) for i in range(voters)])


@dataclass
class _Node:
    index: int
    voter: Voter | None
    key: coincurve.PrivateKey
    alive: bool = True
    snapshot: bytes | None = None
    timer_at: int | None = None
    seen_votes: set[bytes] = field(default_factory=set)
    crash_pending: Crash | None = None
    behaviour: Behaviour | None = None
    acted_rounds: set[int] = field(default_factory=set)
    mirrored: dict[tuple[int, int], set[bytes]] = field(default_factory=dict)


class Simulation:
    """One run; build with a config, call :meth:`run`."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.voter_set = make_voter_set(config.voters, config.seed, config.chain_id, config.set_id)
        self.genesis = genesis_block()
        self.blocks: dict[bytes, Block] = {self.genesis.hash: self.genesis}
        self.produced_at: dict[bytes, int] = {self.genesis.hash: 0}
        self.now = 0
        self.queue: list[tuple[int, int, str, Any]] = []
        self.sequence = 0
        byzantine = dict(config.byzantine)
        self.nodes: list[_Node] = []
        for i in range(config.voters):
            key = node_key(config.seed, i)
            if i in byzantine:
                self.nodes.append(_Node(i, None, key, behaviour=byzantine[i]))
            else:
                voter = Voter.create(self.voter_set, self.genesis, key, 0, config.grandpa)
                self.nodes.append(_Node(i, voter, key))
        self.finalizations: list[FinalizationRecord] = []
        self.evidence: list[tuple[int, EquivocationEvidence]] = []
        self.signed_by_honest: dict[int, list[SignedVote]] = {i: [] for i in range(config.voters)}
        self.byzantine_equivocations: set[tuple[int, int, int]] = set()
        self.vote_messages = 0
        self.certificate_messages = 0
        self.restarts = 0
        self.block_counter = 0

    # -- the event loop --

    def _push(self, at: int, kind: str, payload: Any) -> None:
        self.sequence += 1
        heapq.heappush(self.queue, (at, self.sequence, kind, payload))

    def run(self) -> SimulationResult:
        config = self.config
        for node in self.nodes:
            if node.voter is not None:
                self._handle(node, TimerFired(0))
        if config.block_interval > 0:
            self._push(config.block_interval, "produce", None)
        for crash in config.crashes:
            self._push(crash.at, "crash", crash)
            if crash.restart_at is not None:
                self._push(crash.restart_at, "restart", crash.node)
        while self.queue and self.queue[0][0] <= config.duration:
            at, _, kind, payload = heapq.heappop(self.queue)
            self.now = at
            getattr(self, "_on_" + kind)(payload)
        return self._result()

    def _on_produce(self, _: None) -> None:
        config = self.config
        stops = config.production_stops_at
        if stops is None or self.now < stops:
            self._push(self.now + config.block_interval, "produce", None)
        else:
            return
        producers = [n for n in self.nodes if n.voter is not None and n.alive]
        if not producers:
            return
        producer = self.rng.choice(producers)
        assert producer.voter is not None
        parent = producer.voter.best_head()
        if self.rng.random() < config.fork_probability:
            candidates = [
                b
                for b in producer.voter.state.tree.blocks.values()
                if b.number >= parent.number - 2
            ]
            parent = self.rng.choice(sorted(candidates, key=lambda b: b.hash))
        self.block_counter += 1
        body = keccak(b"body" + self.block_counter.to_bytes(8, "big"))
        block = Block(parent.hash, parent.number + 1, body)
        self.blocks[block.hash] = block
        self.produced_at[block.hash] = self.now
        self._handle(producer, BlockImported(block, self.now))
        for node in self.nodes:
            if node is not producer:
                self._push(self.now + self._delay(), "block", (node.index, block))

    def _on_block(self, payload: tuple[int, Block]) -> None:
        index, block = payload
        node = self.nodes[index]
        if node.alive and node.voter is not None:
            self._handle(node, BlockImported(block, self.now))

    def _on_vote(self, payload: tuple[int, SignedVote]) -> None:
        index, signed = payload
        node = self.nodes[index]
        if not node.alive:
            return
        if node.voter is None:
            if self.nodes[signed.voter_index].voter is None:
                return  # Byzantine voters follow honest rounds only
            if node.behaviour == Behaviour.MIRROR:
                self._mirror(node, signed)
            else:
                self._byzantine_react(node, signed.vote.round)
            return
        encoded = signed.encode()
        first_time = encoded not in node.seen_votes
        node.seen_votes.add(encoded)
        self._handle(node, VoteReceived(signed, self.now))
        if first_time and self.config.network.gossip and node.alive:
            self._send_vote(node.index, signed)

    def _on_certificate(self, payload: tuple[int, FinalityCertificate]) -> None:
        index, cert = payload
        node = self.nodes[index]
        if node.alive and node.voter is not None:
            self._handle(node, CertificateReceived(cert, self.now))

    def _on_timer(self, payload: tuple[int, int]) -> None:
        index, at = payload
        node = self.nodes[index]
        if node.alive and node.voter is not None and node.timer_at == at:
            self._handle(node, TimerFired(self.now))

    def _on_crash(self, crash: Crash) -> None:
        node = self.nodes[crash.node]
        if crash.actions_kept is None:
            self._kill(node)
        else:
            node.crash_pending = crash

    def _on_restart(self, index: int) -> None:
        node = self.nodes[index]
        if node.voter is None:
            return
        if node.alive and node.crash_pending is not None:  # died between two events
            self._kill(node)
        if node.alive:
            return
        node.alive = True
        node.crash_pending = None
        self.restarts += 1
        if node.snapshot is not None:
            node.voter = Voter.restore(
                node.snapshot, self.voter_set, node.key, self.config.grandpa, now=self.now
            )
        else:
            node.voter = Voter.create(
                self.voter_set, self.genesis, node.key, self.now, self.config.grandpa
            )
        node.timer_at = None
        node.seen_votes = set()
        for block in sorted(self.blocks.values(), key=lambda b: b.number):
            if block.number > 0:
                self._handle(node, BlockImported(block, self.now))
        self._handle(node, TimerFired(self.now))

    def _kill(self, node: _Node) -> None:
        node.alive = False
        node.timer_at = None

    # -- carrying out actions --

    def _handle(self, node: _Node, event: Any) -> None:
        assert node.voter is not None
        actions = node.voter.handle(event)
        crash = node.crash_pending
        if crash is not None and crash.actions_kept is not None:
            actions = actions[: crash.actions_kept]
        for action in actions:
            if isinstance(action, PersistState):
                node.snapshot = action.snapshot
            elif isinstance(action, BroadcastVote):
                self.signed_by_honest[node.index].append(action.vote)
                node.seen_votes.add(action.vote.encode())
                self._send_vote(node.index, action.vote)
            elif isinstance(action, BroadcastCertificate):
                self._send_certificate(node.index, action.certificate)
            elif isinstance(action, Finalized):
                record = FinalizationRecord(node.index, self.now, action.block, action.certificate)
                self.finalizations.append(record)
            elif isinstance(action, EquivocationFound):
                self.evidence.append((node.index, action.evidence))
            elif isinstance(action, ScheduleTimer):
                node.timer_at = action.at
                self._push(max(action.at, self.now), "timer", (node.index, action.at))
        if crash is not None:
            self._kill(node)
            node.crash_pending = None

    def _delay(self) -> int:
        network = self.config.network
        return self.rng.randint(network.min_delay, network.max_delay)

    def _reachable(self, sender: int, receiver: int) -> bool:
        if self.rng.random() < self.config.network.drop_probability:
            return False
        return not any(p.separates(sender, receiver, self.now) for p in self.config.partitions)

    def _send_vote(self, sender: int, signed: SignedVote, to: Iterable[int] | None = None) -> None:
        targets = range(self.config.voters) if to is None else to
        for receiver in targets:
            if receiver == sender:
                continue
            self.vote_messages += 1
            if self._reachable(sender, receiver):
                self._push(self.now + self._delay(), "vote", (receiver, signed))

    def _send_certificate(self, sender: int, cert: FinalityCertificate) -> None:
        for receiver in range(self.config.voters):
            if receiver == sender:
                continue
            self.certificate_messages += 1
            if self._reachable(sender, receiver):
                self._push(self.now + self._delay(), "certificate", (receiver, cert))

    # -- Byzantine voters --

    def _byzantine_react(self, node: _Node, round_number: int) -> None:
        for target_round in (round_number, round_number + 1):
            if target_round in node.acted_rounds:
                continue
            node.acted_rounds.add(target_round)
            if node.behaviour == Behaviour.SILENT:
                continue
            for phase in (Phase.PREVOTE, Phase.PRECOMMIT):
                self._byzantine_vote(node, target_round, phase)

    def _byzantine_vote(self, node: _Node, round_number: int, phase: Phase) -> None:
        candidates = sorted(self.blocks.values(), key=lambda b: (b.number, b.hash))
        recent = candidates[-12:]
        first = self.rng.choice(recent)
        if node.behaviour == Behaviour.CONFLICTING or len(recent) < 2:
            self._send_vote(node.index, self._sign(node, round_number, phase, first))
            return
        second = self.rng.choice([b for b in recent if b.hash != first.hash])
        vote_a = self._sign(node, round_number, phase, first)
        vote_b = self._sign(node, round_number, phase, second)
        self.byzantine_equivocations.add((node.index, round_number, int(phase)))
        others = [i for i in range(self.config.voters) if i != node.index]
        if self.rng.random() < 0.5:
            self._send_vote(node.index, vote_a)
            self._send_vote(node.index, vote_b)
        else:
            self.rng.shuffle(others)
            half = max(1, len(others) // 2)
            self._send_vote(node.index, vote_a, others[:half])
            self._send_vote(node.index, vote_b, others[half:])

    def _mirror(self, node: _Node, honest: SignedVote) -> None:
        vote = honest.vote
        key = (vote.round, int(vote.phase))
        signed_before = node.mirrored.setdefault(key, set())
        if vote.block_hash not in signed_before:
            signed_before.add(vote.block_hash)
            if len(signed_before) > 1:
                self.byzantine_equivocations.add((node.index, vote.round, int(vote.phase)))
        block = self.blocks[vote.block_hash]
        mirrored = self._sign(node, vote.round, vote.phase, block)
        self._send_vote(node.index, mirrored, [honest.voter_index])

    def _sign(self, node: _Node, round_number: int, phase: Phase, block: Block) -> SignedVote:
        vote = Vote(round_number, phase, block.hash, block.number)
        return sign_vote(vote, self.voter_set, node.index, node.key)

    def _result(self) -> SimulationResult:
        honest_nodes = [n for n in self.nodes if n.voter is not None]
        return SimulationResult(
            config=self.config,
            voter_set=self.voter_set,
            blocks=self.blocks,
            produced_at=self.produced_at,
            finalizations=self.finalizations,
            evidence=self.evidence,
            signed_by_honest={n.index: self.signed_by_honest[n.index] for n in honest_nodes},
            byzantine_equivocations=self.byzantine_equivocations,
            final_rounds={n.index: n.voter.round for n in honest_nodes if n.voter},
            final_finalized={n.index: n.voter.finalized for n in honest_nodes if n.voter},
            final_best_heads={n.index: n.voter.best_head() for n in honest_nodes if n.voter},
            alive_at_end={n.index for n in honest_nodes if n.alive},
            vote_messages=self.vote_messages,
            certificate_messages=self.certificate_messages,
            restarts=self.restarts,
        )


def run_simulation(config: SimulationConfig) -> SimulationResult:
    """Run one simulation to ``config.duration``."""
    return Simulation(config).run()


# --- checks used by the tests ------------------------------------------------------------


def is_ancestor_or_equal(blocks: dict[bytes, Block], ancestor: Block, descendant: Block) -> bool:
    current = descendant
    while current.number > ancestor.number:
        current = blocks[current.parent_hash]
    return current.hash == ancestor.hash


def conflicting_finalizations(result: SimulationResult) -> list[tuple[Block, Block]]:
    """Pairs of finalized blocks (any honest nodes) that are not on one chain."""
    finalized: dict[bytes, Block] = {r.block.hash: r.block for r in result.finalizations}
    if not finalized:
        return []
    highest = max(finalized.values(), key=lambda b: (b.number, b.hash))
    return [
        (block, highest)
        for block in finalized.values()
        if not is_ancestor_or_equal(result.blocks, block, highest)
    ]


def honest_equivocations(result: SimulationResult) -> list[tuple[SignedVote, SignedVote]]:
    """Two different votes any honest node sent for the same round and phase."""
    found = []
    for votes in result.signed_by_honest.values():
        first: dict[tuple[int, int], SignedVote] = {}
        for signed in votes:
            key = (signed.vote.round, int(signed.vote.phase))
            earlier = first.setdefault(key, signed)
            if earlier.vote != signed.vote:
                found.append((earlier, signed))
    return found


def invalid_certificates(result: SimulationResult) -> list[FinalizationRecord]:
    return [
        r
        for r in result.finalizations
        if r.certificate.block_hash != r.block.hash
        or not verify_certificate(r.certificate, result.voter_set)
    ]


def invalid_evidence(result: SimulationResult) -> list[EquivocationEvidence]:
    """Evidence that does not verify, or that names an honest voter."""
    honest = {result.voter_set.voters[i].address for i in result.honest}
    return [
        e
        for _, e in result.evidence
        if not verify_evidence(e, result.voter_set) or e.offender in honest
    ]


def undetected_equivocations(result: SimulationResult) -> set[tuple[int, int, int]]:
    """Byzantine double votes that no honest node reported."""
    reported = {
        (result.voter_set.index_of(e.offender), e.round, int(e.phase)) for _, e in result.evidence
    }
    return {key for key in result.byzantine_equivocations if key not in reported}


@dataclass(frozen=True)
class LatencyReport:
    voters: int
    finalized_blocks: int  # distinct blocks finalized by every honest live node
    mean_latency_ms: float  # block production -> finalized at a node (mean over nodes)
    max_latency_ms: int
    rounds: int  # rounds completed (highest honest round - 1)
    finalizations_per_round: float
    vote_messages_per_round: float
    vote_messages_per_finalized_block: float


def latency_report(result: SimulationResult) -> LatencyReport:
    """Finalization latency and message cost of one run."""
    first_final: dict[tuple[int, bytes], int] = {}
    for record in result.finalizations:
        chain_block = record.block
        while True:  # a finalization finalizes the block's not-yet-final ancestors too
            key = (record.node, chain_block.hash)
            if key in first_final or chain_block.number == 0:
                break
            first_final[key] = record.time
            chain_block = result.blocks[chain_block.parent_hash]
    latencies = [t - result.produced_at[h] for (_, h), t in first_final.items()]
    blocks = {h for _, h in first_final}
    rounds = max(result.final_rounds.values()) - 1
    finalization_events = len({(r.node, r.block.hash) for r in result.finalizations})
    nodes = max(1, len(result.final_rounds))
    return LatencyReport(
        voters=result.config.voters,
        finalized_blocks=len(blocks),
        mean_latency_ms=sum(latencies) / len(latencies) if latencies else float("nan"),
        max_latency_ms=max(latencies, default=0),
        rounds=rounds,
        finalizations_per_round=finalization_events / nodes / max(1, rounds),
        vote_messages_per_round=result.vote_messages / max(1, rounds),
        vote_messages_per_finalized_block=result.vote_messages / max(1, len(blocks)),
    )
