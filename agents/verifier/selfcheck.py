"""``altrollup verify BLOCK``: a user re-executes a block herself, from genesis.

:func:`verify_block` fetches blocks 0..BLOCK from a :class:`~agents.verifier.follower.
BlockSource` (the rollup's JSON-RPC, or a verifier's state directory), re-executes every
one on a fresh temporary :class:`~agents.evm.store.MerkleStore` with the producer's
:func:`~agents.producer.blocks.reexecute_block`, and reports the per-transaction roots of
BLOCK side by side with the block's claims. :func:`l1_status` adds the L1 pack covering
the block and its tier. Nothing here trusts the source beyond the genesis file: block 0
must hash to the genesis the user gave (or the dev genesis for the rollup's chain id).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from agents.evm.store import MerkleStore
from agents.l1.client import L1Error
from agents.l1.rollup import RollupContract, Tier
from agents.producer.blocks import Block, ChainConfig, reexecute_block
from agents.producer.genesis import Genesis, apply_genesis
from agents.verifier.follower import BlockSource, FollowError


class VerifyError(RuntimeError):
    """The check could not run (missing block, other genesis, unreachable node)."""


@dataclass(frozen=True)
class TxCheck:
    index: int
    tx_hash: bytes
    claimed_root: bytes
    our_root: bytes | None

    @property
    def ok(self) -> bool:
        return self.claimed_root == self.our_root


@dataclass(frozen=True)
class BlockCheck:
    """The outcome for the requested block."""

    block: Block
    txs: tuple[TxCheck, ...]
    our_state_root: bytes
    mismatches: tuple[str, ...]
    ancestors_checked: int
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class L1Status:
    pack_id: int
    first_block: int
    last_block: int
    tier: Tier
    state_root: bytes
    posted_at: int
    challenge_deadline: int


def verify_block(
    source: BlockSource, genesis: Genesis, chain: ChainConfig, number: int
) -> BlockCheck:
    """Re-execute blocks 1..``number`` from genesis and compare every field."""
    if number < 0:
        raise VerifyError(f"block number must be >= 0, got {number}")
    head = source.head_number()
    if number > head:
        raise VerifyError(f"block {number} does not exist yet (the chain is at block {head})")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="altrollup-verify-") as directory:
        state = MerkleStore(Path(directory) / "state", map_size=1 << 28)
        try:
            ours = apply_genesis(state, genesis)
            theirs = _fetch(source, 0)
            if theirs.hash != ours.hash:
                raise VerifyError(
                    f"block 0 of the source (state root 0x{theirs.state_root.hex()}) is not the "
                    f"genesis given (state root 0x{ours.state_root.hex()}): pass its --genesis FILE"
                )
            hashes: dict[int, bytes] = {0: ours.hash}
            parent = ours
            if number == 0:
                return BlockCheck(ours, (), ours.state_root, (), 0, time.monotonic() - started)
            for height in range(1, number + 1):
                block = _fetch(source, height)
                result = reexecute_block(
                    state, parent, block, chain, lambda n: hashes.get(n, bytes(32))
                )
                if height < number and not result.ok:
                    raise VerifyError(
                        f"ancestor block {height} does not re-execute: {result.mismatches[0]}"
                    )
                if height == number:
                    ours_roots = result.executed.block.tx_state_roots
                    txs = tuple(
                        TxCheck(
                            index,
                            tx_hash,
                            block.tx_state_roots[index],
                            ours_roots[index] if index < len(ours_roots) else None,
                        )
                        for index, tx_hash in enumerate(block.transaction_hashes())
                    )
                    return BlockCheck(
                        block,
                        txs,
                        result.executed.block.state_root,
                        result.mismatches,
                        number - 1,
                        time.monotonic() - started,
                    )
                hashes[height] = block.hash
                parent = block
        finally:
            state.close()
    raise AssertionError("unreachable")


def _fetch(source: BlockSource, number: int) -> Block:
    try:
        block = source.block(number)
    except FollowError as error:
        raise VerifyError(str(error)) from None
    if block is None:
        raise VerifyError(f"the source has no block {number}")
    return block


def l1_status(rollup: RollupContract, number: int) -> L1Status | None:
    """The valid pack covering block ``number`` and its tier (None: not posted yet)."""
    try:
        found = rollup.tier_of_block(number)
    except L1Error as error:
        raise VerifyError(f"cannot read the Rollup: {error}") from None
    if found is None:
        return None
    tier, pack_id = found
    pack = rollup.pack(pack_id)
    return L1Status(
        pack_id,
        pack.first_block,
        pack.last_block,
        tier,
        pack.state_root,
        pack.posted_at,
        pack.challenge_deadline,
    )
