"""``altrollup verify BLOCK``: a user re-executes a block herself, from genesis.

:func:`verify_block` fetches blocks 0..BLOCK from a :class:`~agents.verifier.follower.
BlockSource` (the rollup's JSON-RPC, or a verifier's state directory), re-executes every
one on a fresh temporary :class:`~agents.evm.store.MerkleStore` with the producer's
:func:`~agents.producer.blocks.reexecute_block`, and reports the per-transaction roots of
BLOCK side by side with the block's claims. :func:`l1_status` adds the L1 pack covering
the block and its tier, and :func:`pack_problem` checks that pack's commitment against the
re-execution of its whole range. Nothing here trusts the source beyond the genesis file: block 0
must hash to the genesis the user gave (or the dev genesis for the rollup's chain id).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from agents.dispute import merkle
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
    #: Our roots over the requested pack range: (pre-state root, per-tx roots, final root);
    #: None when no range was asked or it reaches past a refused or missing block.
    pack_roots: tuple[bytes, tuple[bytes, ...], bytes] | None = None

    @property
    def ok(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class L1Status:
    """The valid L1 pack holding a block."""

    pack_id: int
    first_block: int
    last_block: int
    tier: Tier
    state_root: bytes
    posted_at: int
    challenge_deadline: int
    pre_state_root: bytes = bytes(32)
    tx_count: int = 0
    tx_roots_commitment: bytes = bytes(32)


def pack_problem(
    status: L1Status, pack_roots: tuple[bytes, tuple[bytes, ...], bytes] | None
) -> str | None:
    """None when the L1 pack commits to exactly our roots over its range, else why not."""
    if pack_roots is None:
        return "its range could not be re-executed"
    pre, roots, final = pack_roots
    if status.pre_state_root != pre:
        return "its pre-state root differs from the re-execution"
    if status.tx_count != len(roots):
        return f"it holds {status.tx_count} transactions, the blocks {len(roots)}"
    expected = merkle.commitment(roots) if roots else bytes(32)
    if status.tx_roots_commitment != expected:
        return "its per-tx roots commitment differs from the re-execution"
    if status.state_root != final:
        return "its state root differs from the re-execution"
    return None


def verify_block(
    source: BlockSource,
    genesis: Genesis,
    chain: ChainConfig,
    number: int,
    pack_range: tuple[int, int] | None = None,
) -> BlockCheck:
    """Re-execute blocks 1..``number`` from genesis and compare every field; with
    ``pack_range`` (the L1 pack holding the block), go on to its last block and return our
    roots over the range too (:attr:`BlockCheck.pack_roots`)."""
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
            roots_after: dict[int, bytes] = {0: ours.state_root}
            tx_roots: dict[int, tuple[bytes, ...]] = {0: ()}
            last = number if pack_range is None else min(head, max(number, pack_range[1]))
            check = BlockCheck(ours, (), ours.state_root, (), 0, 0.0)
            parent = ours
            for height in range(1, last + 1):
                block = _fetch(source, height)
                result = reexecute_block(
                    state, parent, block, chain, lambda n: hashes.get(n, bytes(32))
                )
                mine = result.executed.block
                if height < number and not result.ok:
                    raise VerifyError(
                        f"ancestor block {height} does not re-execute: {result.mismatches[0]}"
                    )
                if height == number:
                    check = BlockCheck(
                        block,
                        tuple(
                            TxCheck(
                                index,
                                tx_hash,
                                block.tx_state_roots[index],
                                mine.tx_state_roots[index]
                                if index < len(mine.tx_state_roots)
                                else None,
                            )
                            for index, tx_hash in enumerate(block.transaction_hashes())
                        ),
                        mine.state_root,
                        result.mismatches,
                        number - 1,
                        0.0,
                    )
                if not result.ok:
                    break  # nothing after a block we refuse is re-executed
                hashes[height] = block.hash
                roots_after[height] = mine.state_root
                tx_roots[height] = mine.tx_state_roots
                parent = block
            pack_roots = None
            if pack_range is not None and all(
                n in roots_after for n in range(pack_range[0] - 1, pack_range[1] + 1)
            ):
                first, end = pack_range
                pack_roots = (
                    roots_after[first - 1],
                    tuple(r for n in range(first, end + 1) for r in tx_roots[n]),
                    roots_after[end],
                )
            return dataclasses.replace(
                check, seconds=time.monotonic() - started, pack_roots=pack_roots
            )
        finally:
            state.close()


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
    info = rollup.pack_info(pack_id)
    pack = info.pack
    return L1Status(
        pack_id,
        pack.first_block,
        pack.last_block,
        tier,
        pack.state_root,
        pack.posted_at,
        pack.challenge_deadline,
        info.pre_state_root,
        pack.tx_count,
        pack.tx_roots_commitment,
    )
