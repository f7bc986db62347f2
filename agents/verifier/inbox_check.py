"""The L1 inbox rules applied to each block the verifier follows (an ``extra_check`` of
:class:`~agents.verifier.follower.Follower`).

For a block B on top of its parent P:

1. the inbox must be complete for B's time (:func:`~agents.verifier.l1_inbox.inbox_covers`);
   otherwise the check answers None ("cannot tell yet") and the follower waits;
2. :func:`~agents.verifier.l1_inbox.check_block_inbox` with B's deposit credits (today's
   block format carries none, so a due deposit makes B invalid: producers must credit
   them, see docs/verifier.md), the transaction hashes of B and of every earlier
   verified block, and a trial execution deciding whether a missing forced transaction
   could have executed at B's start: it is run with the producer's
   :func:`~agents.producer.blocks.execute_block` on a throw-away view of P's state, so
   the verifier's own state is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from sha3 import keccak_256

from agents.evm.backend import Account, StateDiff
from agents.evm.store import StateView
from agents.producer.blocks import Block, context_of, execute_block
from agents.verifier.follower import ExtraCheck, Follower
from agents.verifier.l1_inbox import (
    Credit,
    ForcedTx,
    L1Inbox,
    check_block_inbox,
    inbox_covers,
)


@dataclass
class TrialBackend:
    """A read-only state view whose ``apply`` discards the diff (trial execution)."""

    view: StateView
    applied: int = 0

    def get_account(self, address: bytes) -> Account | None:
        return self.view.get_account(address)

    def get_storage(self, address: bytes, key: int) -> int:
        return self.view.get_storage(address, key)

    def get_code(self, code_hash: bytes) -> bytes:
        return self.view.get_code(code_hash)

    def apply(self, diff: StateDiff) -> bytes:  # noqa: ARG002 - the diff is discarded
        self.applied += 1
        return keccak_256(b"trial" + self.applied.to_bytes(8, "big")).digest()

    def state_root(self) -> bytes:
        return self.view.state_root()


def not_includable_at(
    follower: Follower, parent: Block, block: Block, forced: ForcedTx
) -> str | None:
    """Why ``forced`` could not execute first in ``block`` (None: it could)."""
    trial = TrialBackend(follower.state.at_root(parent.state_root))
    context = context_of(block, follower.chain.chain_id, follower.block_hash)
    executed = execute_block(trial, parent, [forced.raw], context)  # type: ignore[arg-type]
    if executed.skipped:
        skip = executed.skipped[0]
        return f"{skip.reason}: {skip.detail}"
    return None


def inbox_extra_check(inbox: L1Inbox, follower: Follower) -> ExtraCheck:
    """The follower hook enforcing deposits and forced inclusion for one L1Bridge."""
    config = inbox.config()
    seen_l1_time = [0]

    def check(parent: Block, block: Block) -> list[str] | None:
        if not inbox_covers(seen_l1_time[0], block.timestamp, config):
            seen_l1_time[0] = inbox.refresh()
            if not inbox_covers(seen_l1_time[0], block.timestamp, config):
                return None
        included = set(block.transaction_hashes())
        forced = inbox.forced()
        for item in forced:
            if item.tx_hash not in included and follower.store.tx_block(item.tx_hash) is not None:
                included.add(item.tx_hash)
        credits: list[Credit] = []  # the block format carries no deposit credits yet
        violations = check_block_inbox(
            parent_ts=parent.timestamp if parent.number > 0 else None,
            ts=block.timestamp,
            credits=credits,
            included_hashes=included,
            deposits=inbox.deposits(),
            forced=forced,
            not_includable=lambda item: not_includable_at(follower, parent, block, item),
        )
        return [f"{v.kind} #{v.index}: {v.detail}" for v in violations]

    return check
