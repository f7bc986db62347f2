"""Following the producer's chain: fetch blocks, re-execute them on our own state, record
the verdict.

:class:`RpcBlockSource` reads the producer's JSON-RPC (``eth_blockNumber`` and
``altrollup_getBlockForVerifier(number)``, whose result is
:meth:`agents.producer.blocks.Block.to_json`); any object with ``head_number()`` and
``block(number)`` will do (:class:`BlockSource`), e.g. :class:`StoreBlockSource` over a
verifier's state directory (``altrollup verify --state-dir``).

:class:`Follower` re-executes each new block with
:func:`agents.producer.blocks.reexecute_block` on the verifier's own
:class:`~agents.evm.store.MerkleStore` and records it in the :class:`~agents.verifier.
store.Store`: ``verified`` when every field matches (per-tx roots, receipts, gas, hash),
``faulty`` otherwise (the state is moved back to the parent's root, nothing after it is
followed, the block is fetched again each round in case the producer replaced it). An
optional ``extra_check`` (the L1 inbox rules) can declare a block faulty too.

Crash safety: a block row is written only after its state is applied, and on start
:meth:`Follower.resume` moves the state back to the last recorded block's root, so a
``kill -9`` between the two costs one re-execution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from agents.evm import smt
from agents.evm.store import MerkleStore
from agents.producer.blocks import Block, BlockFormatError, ChainConfig, reexecute_block
from agents.producer.genesis import Genesis, apply_genesis
from agents.rpc.client import JsonRpcClient, RpcCallError, RpcTransportError
from agents.rpc.jsonlog import JsonLog
from agents.rpc.metrics import Metrics
from agents.verifier.store import BlockRow, Store

ZERO32 = bytes(32)


class FollowError(RuntimeError):
    """The block source is unusable (unreachable, malformed answers, another genesis)."""


class BlockSource(Protocol):
    def head_number(self) -> int: ...

    def block(self, number: int) -> Block | None: ...


@dataclass
class RpcBlockSource:
    """The producer's JSON-RPC."""

    client: JsonRpcClient

    @classmethod
    def connect(cls, url: str, timeout: float = 10.0) -> RpcBlockSource:
        try:
            return cls(JsonRpcClient(url, timeout=timeout))
        except ValueError as error:
            raise FollowError(str(error)) from None

    def head_number(self) -> int:
        try:
            answer = self.client.call("eth_blockNumber")
        except (RpcTransportError, RpcCallError) as error:
            raise FollowError(f"L2 RPC {self.client.url}: eth_blockNumber: {error}") from None
        try:
            return int(answer, 16) if isinstance(answer, str) else int(answer)
        except (TypeError, ValueError):
            raise FollowError(f"L2 RPC answered eth_blockNumber with {answer!r}") from None

    def block(self, number: int) -> Block | None:
        try:
            answer = self.client.call("altrollup_getBlockForVerifier", hex(number))
        except (RpcTransportError, RpcCallError) as error:
            raise FollowError(
                f"L2 RPC {self.client.url}: altrollup_getBlockForVerifier({number}): {error}"
            ) from None
        if answer is None:
            return None
        try:
            block = Block.from_json(answer)
        except BlockFormatError as error:
            raise FollowError(f"L2 RPC block {number} is malformed: {error}") from None
        if block.number != number:
            raise FollowError(f"L2 RPC answered block {block.number} when asked for {number}")
        return block


@dataclass
class StoreBlockSource:
    """Blocks a verifier recorded in its state directory."""

    store: Store

    def head_number(self) -> int:
        last = self.store.last_verified()
        faulty = self.store.first_faulty()
        numbers = [row.number for row in (last, faulty) if row is not None]
        return max(numbers) if numbers else -1

    def block(self, number: int) -> Block | None:
        row = self.store.block(number)
        return None if row is None else Block.decode(row.encoded)


#: ``extra_check(parent, block)`` -> problems (empty: fine), or None: "cannot tell yet".
ExtraCheck = Callable[[Block, Block], list[str] | None]


@dataclass
class Follower:
    """Re-executes the producer's blocks into the verifier's store."""

    store: Store
    state: MerkleStore
    chain: ChainConfig
    genesis: Genesis
    log: JsonLog
    metrics: Metrics
    extra_check: ExtraCheck | None = None
    _blocks: dict[int, Block] = field(default_factory=dict)

    def resume(self) -> Block:
        """Bring up block 0 on first use, align the state with the last recorded block,
        and return that block."""
        genesis_row = self.store.block(0)
        if genesis_row is None:
            if self.state.state_root() != smt.EMPTY:
                raise FollowError("the state store is not empty but no block is recorded")
            block0 = apply_genesis(self.state, self.genesis)
            self.state.flush()
            self._record(block0, block0.tx_state_roots, "verified", "genesis")
        last = self.store.last_verified()
        assert last is not None
        if self.state.state_root() != last.state_root:
            self.state.reset_head(last.state_root)
            self.log("state-realigned", block=last.number, root="0x" + last.state_root.hex())
            self.metrics.inc("state_realignments_total")
        return Block.decode(last.encoded)

    def genesis_block(self) -> Block:
        row = self.store.block(0)
        if row is None:
            raise FollowError("genesis not initialised (call resume first)")
        return Block.decode(row.encoded)

    def block_hash(self, number: int) -> bytes:
        """BLOCKHASH for re-execution: our recorded hash of block ``number``."""
        cached = self._blocks.get(number)
        if cached is not None:
            return cached.hash
        row = self.store.block(number)
        return row.hash if row is not None and row.status == "verified" else ZERO32

    def step(self, source: BlockSource, max_blocks: int = 64) -> int:
        """Re-execute up to ``max_blocks`` new blocks; returns how many were verified."""
        last = self.store.last_verified()
        assert last is not None, "call resume() first"
        faulty = self.store.first_faulty()
        if faulty is not None:
            refetched = source.block(faulty.number)
            if refetched is None or refetched.encode() == faulty.encoded:
                return 0
            self.log("faulty-block-replaced", block=faulty.number, hash="0x" + refetched.hash.hex())
            self.metrics.inc("faulty_blocks_replaced_total")
            self.store.delete_blocks_from(faulty.number)
        head = source.head_number()
        parent = Block.decode(last.encoded)
        verified = 0
        while verified < max_blocks and parent.number < head:
            block = source.block(parent.number + 1)
            if block is None:
                break
            outcome = self.verify(parent, block)
            if not outcome:
                break  # faulty, or cannot judge yet (None: e.g. the L1 inbox is behind)
            parent = block
            verified += 1
        return verified

    def check_genesis(self, source: BlockSource) -> None:
        """Refuse a producer whose block 0 differs from ours."""
        theirs = source.block(0)
        ours = self.genesis_block()
        if theirs is None:
            raise FollowError("the L2 RPC has no block 0")
        if theirs.hash != ours.hash:
            raise FollowError(
                f"the L2 RPC's block 0 (state root 0x{theirs.state_root.hex()}) differs from our "
                f"genesis (state root 0x{ours.state_root.hex()}): another genesis file?"
            )

    def verify(self, parent: Block, block: Block) -> bool | None:
        """Re-execute one block on top of ``parent`` (our last verified block)."""
        problems: list[str] = []
        if self.extra_check is not None:
            extra = self.extra_check(parent, block)
            if extra is None:
                return None
            problems.extend(extra)
        result = reexecute_block(self.state, parent, block, self.chain, self.block_hash)
        problems = list(result.mismatches) + problems
        if problems:
            self.state.reset_head(parent.state_root)
            self._record(block, result.executed.block.tx_state_roots, "faulty", "; ".join(problems))
            self.metrics.inc("faulty_blocks_total")
            self.log(
                "block-faulty",
                block=block.number,
                hash="0x" + block.hash.hex(),
                problems=problems[:5],
            )
            return False
        self._record(block, block.tx_state_roots, "verified", "")
        self.metrics.inc("blocks_verified_total")
        self.metrics.inc("transactions_verified_total", len(block.transactions))
        self.metrics.set("verified_height", block.number)
        self.log(
            "block-verified",
            block=block.number,
            txs=len(block.transactions),
            root="0x" + block.state_root.hex(),
        )
        return True

    def _record(self, block: Block, our_roots: tuple[bytes, ...], status: str, detail: str) -> None:
        self.store.put_block(
            BlockRow(
                number=block.number,
                hash=block.hash,
                parent_hash=block.parent_hash,
                state_root=block.state_root if status == "verified" else ZERO32,
                timestamp_ms=block.timestamp_ms,
                tx_roots=our_roots,
                encoded=block.encode(),
                status=status,
                detail=detail,
            ),
            tuple(block.transaction_hashes()),
        )
        if status == "verified":
            self._blocks[block.number] = block
            for stale in [n for n in self._blocks if n < block.number - 256]:
                del self._blocks[stale]
