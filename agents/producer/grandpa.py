"""A GRANDPA-style finality gadget for the rollup's block producers, as a pure state machine.

A :class:`Voter` takes events (:class:`BlockImported`, :class:`VoteReceived`,
:class:`CertificateReceived`, :class:`TimerFired`, each carrying the caller's clock ``now``
in milliseconds) and returns actions, in order, for the caller to carry out:

- :class:`PersistState` — store ``snapshot`` durably *before* carrying out any later action
  (it always comes first, and always when a new vote was signed, so a producer restarted
  from its last snapshot after ``kill -9`` never signs a second, different vote);
- :class:`BroadcastVote`, :class:`BroadcastCertificate` — send to every other producer;
- :class:`Finalized` — a block and its newly final ancestors, with the certificate;
- :class:`EquivocationFound` — evidence for slashing;
- :class:`ScheduleTimer` — call back with :class:`TimerFired` at ``at`` (replaces the
  previous request).

Rounds (the GRANDPA paper, section 4): round r starts when round r-1 is completable and
the voter has precommitted in it (or when a later round is seen completable: catch-up).
The voter prevotes, at ``start + 2T`` or as soon as the round is completable, for the head
of the best chain containing the estimate of round r-1; it precommits the prevote GHOST
once that GHOST is the estimate of round r-1 or a descendant of it, and either
``start + 4T`` has passed, the round is completable, or the GHOST is settled (no child of it
can still reach a prevote supermajority whoever prevotes next, so waiting could not change
the precommit). A block is final when more than two thirds of the voter weight precommitted
in one round for it or its descendants; finalizing a block finalizes its chain. Own votes
(and the last certificate) are sent again every ``rebroadcast_interval`` so that dropped
messages do not stall the protocol.

Nothing here reads a clock, sleeps, or does I/O. Wire formats live in
:mod:`agents.producer.finality.messages`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import coincurve

from agents.producer.finality.messages import (
    Block,
    CertificateVote,
    EquivocationEvidence,
    FinalityCertificate,
    Phase,
    SignedVote,
    Vote,
    VoterSet,
    address_of,
    decode_certificate,
    encode_certificate,
    make_evidence,
    sign_vote,
    verify_certificate,
    verify_signed_vote,
)
from agents.producer.finality.rounds import (
    AddOutcome,
    RoundSummary,
    RoundVotes,
    add_vote,
    all_votes,
    precommits_for,
    summarize,
)
from agents.producer.finality.tree import (
    BlockTree,
    best_head,
    import_block,
    is_descendant_or_equal,
    path_down_to,
    set_base,
)

__all__ = [
    "Block",
    "BlockImported",
    "BroadcastCertificate",
    "BroadcastVote",
    "CertificateReceived",
    "EquivocationEvidence",
    "EquivocationFound",
    "Finalized",
    "FinalityCertificate",
    "GrandpaConfig",
    "PersistState",
    "Phase",
    "ScheduleTimer",
    "SignedVote",
    "TimerFired",
    "Vote",
    "VoteReceived",
    "Voter",
    "VoterSet",
    "VoterState",
    "verify_certificate",
]

SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class GrandpaConfig:
    """Timing (milliseconds) and memory bounds of a voter."""

    gossip_duration: int = 100  # T: a bound on message delay in good periods
    rebroadcast_interval: int = 400
    equivocation_window: int = 16  # past rounds kept to detect equivocation
    future_rounds: int = 256  # votes further ahead than this are dropped

    @property
    def prevote_delay(self) -> int:
        return 2 * self.gossip_duration

    @property
    def precommit_delay(self) -> int:
        return 4 * self.gossip_duration


# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockImported:
    block: Block
    now: int


@dataclass(frozen=True)
class VoteReceived:
    vote: SignedVote
    now: int


@dataclass(frozen=True)
class CertificateReceived:
    certificate: FinalityCertificate
    now: int


@dataclass(frozen=True)
class TimerFired:
    now: int


Event = BlockImported | VoteReceived | CertificateReceived | TimerFired


# --- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersistState:
    snapshot: bytes


@dataclass(frozen=True)
class BroadcastVote:
    vote: SignedVote


@dataclass(frozen=True)
class BroadcastCertificate:
    certificate: FinalityCertificate


@dataclass(frozen=True)
class Finalized:
    block: Block
    chain: tuple[Block, ...]  # newly final blocks, oldest first, ending with ``block``
    certificate: FinalityCertificate


@dataclass(frozen=True)
class EquivocationFound:
    evidence: EquivocationEvidence


@dataclass(frozen=True)
class ScheduleTimer:
    at: int


Action = (
    PersistState
    | BroadcastVote
    | BroadcastCertificate
    | Finalized
    | EquivocationFound
    | ScheduleTimer
)


# --- state ---------------------------------------------------------------------------------


@dataclass
class VoterState:
    """Everything a voter knows; ``snapshot``/``restore`` carry it across restarts."""

    voter_index: int | None  # None: an observer that follows finality without voting
    tree: BlockTree
    round: int = 1
    round_started_at: int = 0
    now: int = 0
    rounds: dict[int, RoundVotes] = field(default_factory=dict)
    cast: dict[tuple[int, int], SignedVote] = field(default_factory=dict)
    certificate: FinalityCertificate | None = None  # proves ``tree.base`` final
    pending_certificate: FinalityCertificate | None = None  # verified, target not yet known
    next_rebroadcast_at: int = 0
    timer_at: int | None = None
    reported: set[tuple[int, int, int]] = field(default_factory=set)


class Voter:
    """One producer's GRANDPA voter. Feed it events with :meth:`handle`."""

    def __init__(
        self,
        voter_set: VoterSet,
        state: VoterState,
        private_key: coincurve.PrivateKey | None = None,
        config: GrandpaConfig | None = None,
    ) -> None:
        if state.voter_index is not None:
            if private_key is None:
                raise ValueError("a voting member needs its private key")
            if voter_set.voters[state.voter_index].address != address_of(private_key):
                raise ValueError("private key does not match the voter's address")
        self.voter_set = voter_set
        self.state = state
        self.private_key = private_key
        self.config = config or GrandpaConfig()
        self._actions: list[Action] = []
        self._dirty = False
        self._rounds_to_check: set[int] = set()

    @classmethod
    def create(
        cls,
        voter_set: VoterSet,
        base: Block,
        private_key: coincurve.PrivateKey | None,
        now: int,
        config: GrandpaConfig | None = None,
    ) -> Voter:
        """A fresh voter at round 1 on top of ``base`` (genesis or the last finalized block).

        With ``private_key`` of a set member it votes; without, it only follows finality.
        """
        index = None if private_key is None else voter_set.index_of(address_of(private_key))
        if private_key is not None and index is None:
            raise ValueError("private key is not in the voter set")
        state = VoterState(voter_index=index, tree=BlockTree(base), round_started_at=now, now=now)
        return cls(voter_set, state, private_key, config)

    # -- queries --

    @property
    def round(self) -> int:
        return self.state.round

    @property
    def finalized(self) -> Block:
        return self.state.tree.base

    def best_head(self) -> Block:
        """Head of the best chain containing the last finalized block (producers build on it)."""
        tree = self.state.tree
        return tree.blocks[best_head(tree, tree.base.hash)]

    # -- events --

    def handle(self, event: Event) -> list[Action]:
        """Apply one event; returns the actions to carry out, in order."""
        state = self.state
        state.now = max(state.now, event.now)
        self._actions = []
        self._dirty = False
        if isinstance(event, BlockImported):
            if import_block(state.tree, event.block):
                self._rounds_to_check.update(state.rounds)
                self._try_pending_certificate()
        elif isinstance(event, VoteReceived):
            self._on_vote(event.vote)
        elif isinstance(event, CertificateReceived):
            self._on_certificate(event.certificate)
        self._progress()
        self._maybe_rebroadcast()
        self._schedule_timer()
        actions = self._actions
        if self._dirty:
            actions.insert(0, PersistState(self.snapshot()))
        self._actions = []
        return actions

    def _on_vote(self, signed: SignedVote) -> None:
        state = self.state
        round_number = signed.vote.round
        if signed.set_id != self.voter_set.set_id:
            return
        if round_number < state.round - self.config.equivocation_window:
            return
        if round_number > state.round + self.config.future_rounds:
            return
        existing = state.rounds.get(round_number)
        if existing is not None:
            earlier = existing.phase(signed.vote.phase).first.get(signed.voter_index)
            if earlier is not None and earlier.vote == signed.vote:
                return
        if not verify_signed_vote(signed, self.voter_set):
            return
        round_votes = state.rounds.setdefault(round_number, RoundVotes(round_number))
        outcome, earlier = add_vote(round_votes, signed)
        if outcome == AddOutcome.EQUIVOCATION and earlier is not None:
            key = (round_number, int(signed.vote.phase), signed.voter_index)
            if key not in state.reported:
                state.reported.add(key)
                evidence = make_evidence(earlier, signed, self.voter_set)
                self._actions.append(EquivocationFound(evidence))
        if outcome in (AddOutcome.NEW, AddOutcome.EQUIVOCATION):
            self._rounds_to_check.add(round_number)

    def _on_certificate(self, cert: FinalityCertificate) -> None:
        state = self.state
        if cert.block_number <= state.tree.base.number:
            return
        pending = state.pending_certificate
        if pending is not None and pending.block_number >= cert.block_number:
            return
        if not verify_certificate(cert, self.voter_set):
            return
        state.pending_certificate = cert
        self._try_pending_certificate()

    def _try_pending_certificate(self) -> None:
        state = self.state
        cert = state.pending_certificate
        if cert is None:
            return
        if cert.block_number <= state.tree.base.number:
            state.pending_certificate = None
            return
        block = state.tree.blocks.get(cert.block_hash)
        if block is not None and block.number == cert.block_number:
            state.pending_certificate = None
            self._finalize(cert, announce=False)

    # -- the round machine --

    def _progress(self) -> None:
        while True:
            self._check_finality()
            if self._catch_up():
                continue
            if not self._vote_and_advance():
                return

    def _check_finality(self) -> None:
        state = self.state
        for round_number in sorted(self._rounds_to_check):
            round_votes = state.rounds.get(round_number)
            if round_votes is None or not round_votes.precommits.first:
                continue
            summary = summarize(state.tree, round_votes, self.voter_set)
            target = summary.finality_target
            if target is not None and target != state.tree.base.hash:
                self._finalize(self._build_certificate(round_votes, target), announce=True)
        self._rounds_to_check.clear()

    def _catch_up(self) -> bool:
        state = self.state
        for round_number in sorted(state.rounds, reverse=True):
            if round_number <= state.round:
                return False
            round_votes = state.rounds[round_number]
            precommitted = sum(
                self.voter_set.voters[i].weight for i in round_votes.precommits.first
            )
            if not self.voter_set.is_supermajority(precommitted):
                continue  # cannot be completable: skip the full tally
            if summarize(state.tree, round_votes, self.voter_set).completable:
                self._start_round(round_number + 1)
                return True
        return False

    def _vote_and_advance(self) -> bool:
        """Cast the votes that are due and start the next round if allowed; True if it did."""
        state = self.state
        config = self.config
        current = state.rounds.setdefault(state.round, RoundVotes(state.round))
        summary = summarize(state.tree, current, self.voter_set)
        elapsed = state.now - state.round_started_at
        previous_estimate = self._previous_estimate()
        if state.voter_index is not None:
            if (state.round, Phase.PREVOTE) not in state.cast:
                if elapsed >= config.prevote_delay or summary.completable:
                    target = best_head(state.tree, previous_estimate)
                    self._cast(Phase.PREVOTE, target)
                    return True
                return False
            if (state.round, Phase.PRECOMMIT) not in state.cast:
                if self._may_precommit(summary, previous_estimate, elapsed):
                    assert summary.prevote_ghost is not None
                    self._cast(Phase.PRECOMMIT, summary.prevote_ghost)
                    return True
                return False
        if summary.completable:
            self._start_round(state.round + 1)
            return True
        return False

    def _may_precommit(self, summary: RoundSummary, previous_estimate: bytes, elapsed: int) -> bool:
        ghost = summary.prevote_ghost
        if ghost is None or not is_descendant_or_equal(self.state.tree, ghost, previous_estimate):
            return False
        return (
            elapsed >= self.config.precommit_delay
            or summary.completable
            or summary.prevote_ghost_settled
        )

    def _previous_estimate(self) -> bytes:
        state = self.state
        previous = state.rounds.get(state.round - 1)
        if previous is not None:
            estimate = summarize(state.tree, previous, self.voter_set).estimate
            if estimate is not None:
                return estimate
        return state.tree.base.hash

    def _cast(self, phase: Phase, target: bytes) -> None:
        state = self.state
        assert state.voter_index is not None and self.private_key is not None
        key = (state.round, int(phase))
        signed = state.cast.get(key)
        if signed is None:  # never sign a second vote for a round and phase
            block = state.tree.blocks[target]
            vote = Vote(state.round, phase, block.hash, block.number)
            signed = sign_vote(vote, self.voter_set, state.voter_index, self.private_key)
            state.cast[key] = signed
            self._dirty = True
        round_votes = state.rounds.setdefault(state.round, RoundVotes(state.round))
        add_vote(round_votes, signed)
        self._rounds_to_check.add(state.round)
        self._actions.append(BroadcastVote(signed))

    def _start_round(self, round_number: int) -> None:
        state = self.state
        state.round = round_number
        state.round_started_at = state.now
        oldest = round_number - self.config.equivocation_window
        state.rounds = {r: v for r, v in state.rounds.items() if r >= oldest}
        state.cast = {k: v for k, v in state.cast.items() if k[0] >= round_number - 1}
        state.reported = {k for k in state.reported if k[0] >= oldest}
        self._dirty = True

    def _build_certificate(self, round_votes: RoundVotes, target: bytes) -> FinalityCertificate:
        tree = self.state.tree
        block = tree.blocks[target]
        candidates = sorted(
            precommits_for(tree, round_votes, target),
            key=lambda s: (s.vote.block_hash != target, s.vote.block_number, s.voter_index),
        )
        chosen: list[SignedVote] = []
        weight = 0
        for signed in candidates:
            if self.voter_set.is_supermajority(weight):
                break
            chosen.append(signed)
            weight += self.voter_set.voters[signed.voter_index].weight
        chosen.sort(key=lambda s: s.voter_index)
        ancestry: dict[bytes, Block] = {}
        for signed in chosen:
            for header in path_down_to(tree, signed.vote.block_hash, target):
                ancestry[header.hash] = header
        return FinalityCertificate(
            chain_id=self.voter_set.chain_id,
            set_id=self.voter_set.set_id,
            round=round_votes.round,
            block_hash=target,
            block_number=block.number,
            precommits=tuple(
                CertificateVote(s.voter_index, s.vote.block_hash, s.vote.block_number, s.signature)
                for s in chosen
            ),
            ancestry=tuple(sorted(ancestry.values(), key=lambda b: (b.number, b.hash))),
        )

    def _finalize(self, cert: FinalityCertificate, announce: bool) -> None:
        state = self.state
        tree = state.tree
        chain = tuple(reversed(path_down_to(tree, cert.block_hash, tree.base.hash)))
        set_base(tree, cert.block_hash)
        state.certificate = cert
        if state.pending_certificate is not None:
            if state.pending_certificate.block_number <= tree.base.number:
                state.pending_certificate = None
        self._dirty = True
        self._rounds_to_check.update(state.rounds)
        self._actions.append(Finalized(tree.base, chain, cert))
        if announce:
            self._actions.append(BroadcastCertificate(cert))

    def _maybe_rebroadcast(self) -> None:
        state = self.state
        if state.now < state.next_rebroadcast_at:
            return
        state.next_rebroadcast_at = state.now + self.config.rebroadcast_interval
        for key in sorted(state.cast):
            self._actions.append(BroadcastVote(state.cast[key]))
        if state.certificate is not None:
            self._actions.append(BroadcastCertificate(state.certificate))

    def _schedule_timer(self) -> None:
        state = self.state
        deadlines = [state.next_rebroadcast_at]
        if state.voter_index is not None:
            start = state.round_started_at
            if (state.round, Phase.PREVOTE) not in state.cast:
                deadlines.append(start + self.config.prevote_delay)
            if (state.round, Phase.PRECOMMIT) not in state.cast:
                deadlines.append(start + self.config.precommit_delay)
        upcoming = [d for d in deadlines if d > state.now]
        at = min(upcoming) if upcoming else state.now + self.config.rebroadcast_interval
        if state.timer_at != at or at <= state.now:
            state.timer_at = at
            self._actions.append(ScheduleTimer(at))

    # -- persistence --

    def snapshot(self) -> bytes:
        """The voter's state as JSON bytes (recent rounds only; no private key)."""
        state = self.state
        tree = state.tree
        keep_from = state.round - 1
        votes = [
            signed.encode().hex()
            for round_number, round_votes in sorted(state.rounds.items())
            if round_number >= keep_from
            for signed in all_votes(round_votes)
        ]
        document = {
            "version": SNAPSHOT_VERSION,
            "chain_id": self.voter_set.chain_id,
            "set_id": self.voter_set.set_id,
            "voter_index": state.voter_index,
            "round": state.round,
            "round_started_at": state.round_started_at,
            "now": state.now,
            "next_rebroadcast_at": state.next_rebroadcast_at,
            "base": tree.base.encode().hex(),
            "blocks": [
                b.encode().hex()
                for b in sorted(tree.blocks.values(), key=lambda b: (b.number, b.hash))
                if b.hash != tree.base.hash
            ],
            "orphans": [b.encode().hex() for waiting in tree.orphans.values() for b in waiting],
            "cast": [signed.encode().hex() for _, signed in sorted(state.cast.items())],
            "votes": votes,
            "certificate": _cert_hex(state.certificate),
            "pending_certificate": _cert_hex(state.pending_certificate),
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def restore(
        cls,
        snapshot: bytes,
        voter_set: VoterSet,
        private_key: coincurve.PrivateKey | None,
        config: GrandpaConfig | None = None,
        now: int | None = None,
    ) -> Voter:
        """A voter resumed from :meth:`snapshot` (after a crash or restart).

        Pass ``now`` when the caller's clock may have restarted (a monotonic clock after a
        reboot): the current round's timers then start again from ``now``.
        """
        document = json.loads(snapshot)
        if document["version"] != SNAPSHOT_VERSION:
            raise ValueError("unknown snapshot version")
        if (document["chain_id"], document["set_id"]) != (voter_set.chain_id, voter_set.set_id):
            raise ValueError("snapshot is for another voter set")
        tree = BlockTree(Block.decode(bytes.fromhex(document["base"])))
        for encoded in document["blocks"] + document["orphans"]:
            import_block(tree, Block.decode(bytes.fromhex(encoded)))
        state = VoterState(
            voter_index=document["voter_index"],
            tree=tree,
            round=document["round"],
            round_started_at=document["round_started_at"],
            now=document["now"],
            next_rebroadcast_at=document["next_rebroadcast_at"],
            certificate=_cert_from_hex(document["certificate"]),
            pending_certificate=_cert_from_hex(document["pending_certificate"]),
        )
        if now is not None:
            state.now = state.round_started_at = state.next_rebroadcast_at = now
        for encoded in document["votes"] + document["cast"]:
            signed = SignedVote.decode(bytes.fromhex(encoded))
            round_number = signed.vote.round
            add_vote(state.rounds.setdefault(round_number, RoundVotes(round_number)), signed)
        for encoded in document["cast"]:
            signed = SignedVote.decode(bytes.fromhex(encoded))
            state.cast[(signed.vote.round, int(signed.vote.phase))] = signed
        voter = cls(voter_set, state, private_key, config)
        voter._rounds_to_check.update(state.rounds)
        return voter


def _cert_hex(cert: FinalityCertificate | None) -> str | None:
    return None if cert is None else encode_certificate(cert).hex()


def _cert_from_hex(encoded: str | None) -> FinalityCertificate | None:
    return None if encoded is None else decode_certificate(bytes.fromhex(encoded))
