"""The verifier's decisions, as pure functions of the L1 pack state and the local chain.

Nothing here talks to a node or a database: :mod:`agents.verifier.service` reads L1 and
its store into :class:`L1State` and :class:`LocalChain`, asks these functions what to do,
and carries the answers out. That keeps every rule testable on its own (tests/verifier/
test_agent_decisions.py, with hypothesis):

- :func:`expected_pack`: what a correct pack over blocks ``first..last`` must contain,
  from our own re-execution (pre-state root, per-tx roots, commitment, final root), or
  why we cannot say (blocks not re-executed yet, or a faulty block in the range);
- :func:`judge_pack`: affirm, reject or wait for one posted pack;
- :func:`votes_to_cast`: the votes to send this round (never on our own packs, never
  twice, never on final or invalid packs; an affirmation only while it still counts);
- :func:`next_pack`: the range of the next pack to post: N blocks, or fewer once the
  oldest unposted block is T seconds old; nothing while the L1 head disagrees with us
  or any pending pack of the L1 chain is one we reject (even with a right final root);
- :func:`packs_to_finalize`: pending packs whose challenge window is over, in order;
- :func:`reconcile_packs`: the lifecycle moves of our own packs given the L1 tiers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from agents.dispute import merkle
from agents.l1.rollup import Tier, Vote
from agents.verifier.store import PackRow, PackStatus

ZERO32 = bytes(32)


# -- inputs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class L1Pack:
    """A pack on the valid chain as L1 reports it (genesis: id 0, tier 3)."""

    pack_id: int
    parent_id: int
    height: int
    first_block: int
    last_block: int
    tx_count: int
    tx_roots_commitment: bytes
    state_root: bytes
    pre_state_root: bytes
    poster: str
    tier: Tier
    challenge_deadline: int
    our_vote: Vote = Vote.NONE


@dataclass(frozen=True)
class L1State:
    """The valid chain from the last finalized pack to the head, and the L1 time."""

    now: int
    finalized: L1Pack
    pending: tuple[L1Pack, ...]  # valid packs above the finalized one, by height

    @property
    def head(self) -> L1Pack:
        return self.pending[-1] if self.pending else self.finalized


@dataclass(frozen=True)
class LocalBlock:
    """One block as our re-execution saw it."""

    number: int
    state_root: bytes  # our state root after the block
    tx_roots: tuple[bytes, ...]  # our per-transaction roots
    timestamp_ms: int
    faulty: bool = False
    detail: str = ""


@dataclass(frozen=True)
class LocalChain:
    """The re-executed blocks the decisions may look at (a window of the chain)."""

    blocks: Mapping[int, LocalBlock] = field(default_factory=dict)

    @property
    def verified_head(self) -> int:
        """Highest block number of the contiguous verified prefix in the window."""
        if not self.blocks:
            return -1
        number = min(self.blocks)
        if self.blocks[number].faulty:
            return number - 1
        while number + 1 in self.blocks and not self.blocks[number + 1].faulty:
            number += 1
        return number


@dataclass(frozen=True)
class PackPolicy:
    """When to cut a pack: ``max_blocks`` blocks, or after ``max_wait`` seconds."""

    max_blocks: int = 16
    max_wait: float = 10.0

    def __post_init__(self) -> None:
        if self.max_blocks < 1:
            raise ValueError("a pack holds at least one block")
        if self.max_wait < 0:
            raise ValueError("max_wait must be >= 0")


# -- outputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedPack:
    """What a correct pack over ``first_block..last_block`` contains."""

    first_block: int
    last_block: int
    pre_state_root: bytes
    tx_roots: tuple[bytes, ...]
    tx_roots_commitment: bytes
    state_root: bytes

    @property
    def tx_count(self) -> int:
        return len(self.tx_roots)


@dataclass(frozen=True)
class Unknown:
    """Why :func:`expected_pack` cannot answer: ``faulty`` (a block we refused) or not
    re-executed yet."""

    faulty: bool
    reason: str


class Verdict(StrEnum):
    AFFIRM = "affirm"
    REJECT = "reject"
    WAIT = "wait"


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class VoteDecision:
    pack_id: int
    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class PackPlan:
    """Post blocks ``first_block..last_block`` on top of pack ``parent_id``."""

    parent_id: int
    first_block: int
    last_block: int
    expected: ExpectedPack


@dataclass(frozen=True)
class NoPack:
    """Why nothing is posted now; ``blocked`` means "cannot", not "not yet"."""

    reason: str
    blocked: bool = False


# -- decisions -------------------------------------------------------------------------


def expected_pack(local: LocalChain, first_block: int, last_block: int) -> ExpectedPack | Unknown:
    """The correct pack over ``first_block..last_block`` by our own re-execution."""
    if first_block < 1 or last_block < first_block:
        return Unknown(False, f"bad block range {first_block}..{last_block}")
    parent = local.blocks.get(first_block - 1)
    if parent is None:
        return Unknown(False, f"block {first_block - 1} not re-executed")
    if parent.faulty:
        return Unknown(True, f"block {first_block - 1} is faulty: {parent.detail}")
    roots: list[bytes] = []
    for number in range(first_block, last_block + 1):
        block = local.blocks.get(number)
        if block is None:
            return Unknown(False, f"block {number} not re-executed")
        if block.faulty:
            return Unknown(True, f"block {number} is faulty: {block.detail}")
        roots.extend(block.tx_roots)
    last = local.blocks[last_block]
    commitment = merkle.commitment(roots) if roots else ZERO32
    return ExpectedPack(
        first_block, last_block, parent.state_root, tuple(roots), commitment, last.state_root
    )


def judge_pack(pack: L1Pack, local: LocalChain) -> Judgement:
    """Affirm a pack that matches our re-execution, reject one that does not, wait while
    we have not re-executed its blocks."""
    expected = expected_pack(local, pack.first_block, pack.last_block)
    if isinstance(expected, Unknown):
        if expected.faulty:
            return Judgement(Verdict.REJECT, expected.reason)
        return Judgement(Verdict.WAIT, expected.reason)
    if pack.pre_state_root != expected.pre_state_root:
        return Judgement(Verdict.REJECT, "pre-state root differs from ours")
    if pack.tx_count != expected.tx_count:
        return Judgement(
            Verdict.REJECT, f"{pack.tx_count} transactions, our blocks hold {expected.tx_count}"
        )
    if pack.tx_roots_commitment != expected.tx_roots_commitment:
        return Judgement(Verdict.REJECT, "per-tx roots commitment differs from ours")
    if pack.state_root != expected.state_root:
        return Judgement(Verdict.REJECT, "final state root differs from ours")
    return Judgement(Verdict.AFFIRM, "roots match our re-execution")


def votes_to_cast(
    state: L1State, me: str, local: LocalChain, already: Mapping[int, str]
) -> list[VoteDecision]:
    """This round's votes; ``already`` maps pack ids to the votes we recorded sending."""
    decisions: list[VoteDecision] = []
    for pack in state.pending:
        if pack.poster.lower() == me.lower():
            continue
        if pack.our_vote is not Vote.NONE or pack.pack_id in already:
            continue
        if pack.tier not in (Tier.POSTED, Tier.VERIFICATION_FINAL):
            continue
        judgement = judge_pack(pack, local)
        if judgement.verdict is Verdict.WAIT:
            continue
        if judgement.verdict is Verdict.AFFIRM and pack.tier is not Tier.POSTED:
            continue  # the quorum is reached; an extra affirmation changes nothing
        decisions.append(VoteDecision(pack.pack_id, judgement.verdict, judgement.reason))
    return decisions


def next_pack(
    state: L1State, local: LocalChain, policy: PackPolicy, now: float
) -> PackPlan | NoPack:
    """The next pack to post on the L1 head, or why not now (``now``: wall seconds)."""
    head = state.head
    anchor = local.blocks.get(head.last_block)
    if anchor is None:
        return NoPack(f"L1 head covers block {head.last_block}, not re-executed yet")
    if anchor.faulty:
        return NoPack(f"L1 head covers faulty block {head.last_block}", blocked=True)
    if anchor.state_root != head.state_root:
        return NoPack(
            f"L1 head pack {head.pack_id} ends at a state root that differs from ours "
            f"(block {head.last_block})",
            blocked=True,
        )
    for pack in state.pending:
        judgement = judge_pack(pack, local)
        if judgement.verdict is Verdict.REJECT:
            # its final root may even be right: never extend a chain holding a wrong pack
            return NoPack(
                f"L1 pack {pack.pack_id} is wrong ({judgement.reason}); waiting for its "
                "invalidation",
                blocked=True,
            )
    first = head.last_block + 1
    available = local.verified_head - head.last_block
    if available <= 0:
        first_block = local.blocks.get(first)
        if first_block is not None and first_block.faulty:
            return NoPack(f"block {first} is faulty: {first_block.detail}", blocked=True)
        return NoPack("no new verified block")
    if available >= policy.max_blocks:
        last = first + policy.max_blocks - 1
    else:
        age = now - local.blocks[first].timestamp_ms / 1000
        if age < policy.max_wait:
            return NoPack(f"{available} block(s) waiting, oldest {age:.1f}s < {policy.max_wait}s")
        last = local.verified_head
    expected = expected_pack(local, first, last)
    assert isinstance(expected, ExpectedPack)  # the range is verified by construction
    return PackPlan(head.pack_id, first, last, expected)


def packs_to_finalize(state: L1State) -> list[int]:
    """Pending packs whose challenge window is over, in chain order (the contract also
    refuses a pack with an open or lost dispute: the service checks ``canFinalize``)."""
    ready: list[int] = []
    for pack in state.pending:
        if pack.tier is Tier.ROLLUP_FINAL:
            continue
        if state.now < pack.challenge_deadline:
            break
        ready.append(pack.pack_id)
    return ready


def reconcile_packs(
    rows: Sequence[PackRow], tiers: Mapping[int, Tier], head: L1Pack
) -> list[tuple[int, PackStatus]]:
    """Status changes of our packs: posted ones follow their L1 tier; built ones that no
    longer extend the L1 head are superseded (another verifier posted that range)."""
    moves: list[tuple[int, PackStatus]] = []
    for row in rows:
        if row.status in (PackStatus.POSTED, PackStatus.TIER2) and row.l1_pack_id is not None:
            tier = tiers.get(row.l1_pack_id)
            if tier is Tier.INVALID:
                moves.append((row.id, PackStatus.INVALIDATED))
            elif tier is Tier.ROLLUP_FINAL:
                moves.append((row.id, PackStatus.TIER3))
            elif tier is Tier.VERIFICATION_FINAL and row.status is PackStatus.POSTED:
                moves.append((row.id, PackStatus.TIER2))
        elif row.status is PackStatus.BUILT and (
            head.pack_id != row.parent_pack or head.last_block >= row.first_block
        ):
            moves.append((row.id, PackStatus.SUPERSEDED))
    return moves
