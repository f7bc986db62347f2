"""Votes of one round and the GRANDPA quantities computed from them.

For a set S of votes (prevotes or precommits), on the block tree rooted at the last
finalized block:

- a block's *support* is the weight of voters whose vote is for it or a descendant;
  an equivocator (two different votes in S) counts as voting for every block;
- ``ghost(S)`` is the highest block with supermajority support (walking down from the
  base, at each step into the child with a supermajority);
- it is *possible* for S to reach a supermajority for B while support(B) plus the weight of
  equivocators and of voters not (yet) counted — no vote, or a vote for a block not in the
  tree — is a supermajority;
- the round's *estimate* is the highest block on the chain to the prevote GHOST for which a
  precommit supermajority is still possible; the round is *completable* when a supermajority
  has precommitted and either the estimate is strictly below the prevote GHOST or no child
  of the prevote GHOST can still reach a precommit supermajority.

Finality is counted more strictly (one signed vote per voter, no equivocator credit), so
every finalization has a certificate that verifies on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from agents.producer.finality.messages import Phase, SignedVote, VoterSet
from agents.producer.finality.tree import BlockTree, is_descendant_or_equal, knows


@dataclass
class PhaseVotes:
    """One phase of one round: each voter's first vote, and the second of equivocators."""

    first: dict[int, SignedVote] = field(default_factory=dict)
    second: dict[int, SignedVote] = field(default_factory=dict)


@dataclass
class RoundVotes:
    """Prevotes and precommits received for one round."""

    round: int
    prevotes: PhaseVotes = field(default_factory=PhaseVotes)
    precommits: PhaseVotes = field(default_factory=PhaseVotes)

    def phase(self, phase: Phase) -> PhaseVotes:
        return self.prevotes if phase == Phase.PREVOTE else self.precommits


class AddOutcome(Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    EQUIVOCATION = "equivocation"
    IGNORED = "ignored"


def add_vote(round_votes: RoundVotes, signed: SignedVote) -> tuple[AddOutcome, SignedVote | None]:
    """Record a (verified) vote; on a new equivocation also return the earlier vote."""
    votes = round_votes.phase(signed.vote.phase)
    earlier = votes.first.get(signed.voter_index)
    if earlier is None:
        votes.first[signed.voter_index] = signed
        return AddOutcome.NEW, None
    if earlier.vote == signed.vote:
        return AddOutcome.DUPLICATE, None
    if signed.voter_index in votes.second:
        return AddOutcome.IGNORED, None
    votes.second[signed.voter_index] = signed
    return AddOutcome.EQUIVOCATION, earlier


def all_votes(round_votes: RoundVotes) -> list[SignedVote]:
    """Every stored vote of the round (first votes, then equivocators' second votes)."""
    out: list[SignedVote] = []
    for votes in (round_votes.prevotes, round_votes.precommits):
        out.extend(votes.first.values())
        out.extend(votes.second.values())
    return out


@dataclass
class Tally:
    """Weights of one phase's votes over the tree."""

    support: dict[bytes, int]  # non-equivocators, cumulative over descendants
    direct_support: dict[bytes, int]  # every voter's first vote, cumulative (finality)
    equivocator_weight: int
    uncounted_weight: int  # no vote, or a vote for a block not in the tree
    voted_weight: int  # every voter that voted at all


def tally(tree: BlockTree, votes: PhaseVotes, voter_set: VoterSet) -> Tally:
    """Add up ``votes`` on ``tree``."""
    support: dict[bytes, int] = {}
    direct: dict[bytes, int] = {}
    equivocators = 0
    counted = 0
    voted = 0
    for index, signed in votes.first.items():
        weight = voter_set.voters[index].weight
        voted += weight
        equivocating = index in votes.second
        if equivocating:
            equivocators += weight
        vote = signed.vote
        if not knows(tree, vote.block_hash, vote.block_number):
            continue
        if not equivocating:
            counted += weight
        current = tree.blocks[vote.block_hash]
        while True:
            if not equivocating:
                support[current.hash] = support.get(current.hash, 0) + weight
            direct[current.hash] = direct.get(current.hash, 0) + weight
            if current.hash == tree.base.hash:
                break
            current = tree.blocks[current.parent_hash]
    uncounted = voter_set.total_weight - counted - equivocators
    return Tally(support, direct, equivocators, uncounted, voted)


def ghost(tree: BlockTree, counts: Tally, voter_set: VoterSet) -> bytes | None:
    """GHOST with equivocators counted for every block; None if the base lacks a supermajority."""
    return _walk_down(tree, counts.support, counts.equivocator_weight, voter_set)


def finality_ghost(tree: BlockTree, counts: Tally, voter_set: VoterSet) -> bytes | None:
    """The highest block with a supermajority of signed votes for it or descendants."""
    return _walk_down(tree, counts.direct_support, 0, voter_set)


def _walk_down(
    tree: BlockTree, support: dict[bytes, int], bonus: int, voter_set: VoterSet
) -> bytes | None:
    current = tree.base.hash
    if not voter_set.is_supermajority(support.get(current, 0) + bonus):
        return None
    while True:
        qualified = [
            child
            for child in tree.children[current]
            if voter_set.is_supermajority(support.get(child, 0) + bonus)
        ]
        if not qualified:
            return current
        current = min(qualified, key=lambda child: (-support.get(child, 0), child))


def possible(counts: Tally, block: bytes | None, voter_set: VoterSet) -> bool:
    """Can this phase still reach a supermajority for ``block`` (None: a block not yet seen)?"""
    support = counts.support.get(block, 0) if block is not None else 0
    return voter_set.is_supermajority(support + counts.equivocator_weight + counts.uncounted_weight)


@dataclass(frozen=True)
class RoundSummary:
    """What a round's votes currently say."""

    prevote_ghost: bytes | None
    estimate: bytes | None
    completable: bool
    finality_target: bytes | None  # precommit finality GHOST (may be the base)
    prevoted_weight: int
    prevote_ghost_settled: bool = False  # no further prevotes can move the GHOST down the tree


def summarize(tree: BlockTree, round_votes: RoundVotes, voter_set: VoterSet) -> RoundSummary:
    """Prevote GHOST, estimate, completability and finality target of a round."""
    prevotes = tally(tree, round_votes.prevotes, voter_set)
    precommits = tally(tree, round_votes.precommits, voter_set)
    prevote_ghost = ghost(tree, prevotes, voter_set)
    finality_target = finality_ghost(tree, precommits, voter_set)
    if prevote_ghost is None:
        return RoundSummary(None, None, False, finality_target, prevotes.voted_weight)
    settled = not possible(prevotes, None, voter_set) and not any(
        possible(prevotes, child, voter_set) for child in tree.children[prevote_ghost]
    )
    estimate: bytes | None = prevote_ghost
    while estimate is not None and not possible(precommits, estimate, voter_set):
        block = tree.blocks[estimate]
        estimate = None if estimate == tree.base.hash else block.parent_hash
    completable = False
    if estimate is not None and voter_set.is_supermajority(precommits.voted_weight):
        if estimate != prevote_ghost:
            completable = True
        else:
            children = tree.children[prevote_ghost]
            completable = not possible(precommits, None, voter_set) and not any(
                possible(precommits, child, voter_set) for child in children
            )
    return RoundSummary(
        prevote_ghost, estimate, completable, finality_target, prevotes.voted_weight, settled
    )


def precommits_for(tree: BlockTree, round_votes: RoundVotes, target: bytes) -> list[SignedVote]:
    """Each voter's first precommit when it is for ``target`` or a descendant of it."""
    return [
        signed
        for signed in round_votes.precommits.first.values()
        if knows(tree, signed.vote.block_hash, signed.vote.block_number)
        and is_descendant_or_equal(tree, signed.vote.block_hash, target)
    ]
