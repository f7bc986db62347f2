"""Trace providers: the states a player believes in, at both levels of the game.

A :class:`TraceProvider` answers what the dispute solver asks: the state root after
each transaction of a pack (``tx_root``; index 0 is the agreed pre-state), the state at
any step of one transaction's padded instruction trace (``step_state``; step 0 is the
trace binding's start state, step ``2**step_depth`` its end state), and the proof data
the on-chain step VM needs to execute one step (``step_proof``).

:class:`AlphabetTraceProvider` models the AlphabetVM (``contracts/dispute/AlphabetVM.sol``):
a machine state is (counter, value) committed as keccak256(abi.encode(counter, value)),
one step adds one to both, and each transaction runs exactly ``2**step_depth`` steps, so
the root after transaction ``i`` is the state at global step ``i * 2**step_depth``. An
optional deviation window turns it into a liar whose values are off by one on
``[lie_from, lie_to)``, which is how tests build wrong packs and dishonest players.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Protocol, runtime_checkable

from sha3 import keccak_256

from agents.dispute import merkle

UINT256_MOD = 1 << 256


@runtime_checkable
class TraceProvider(Protocol):
    """What a player knows about a pack's execution (see the module docstring)."""

    @property
    def tx_count(self) -> int:
        """Number of transactions in the pack."""
        ...

    @property
    def step_depth(self) -> int:
        """log2 of the padded instruction-trace length of one transaction."""
        ...

    def tx_root(self, tx_index: int) -> bytes:
        """State root after transaction ``tx_index`` (0: the pack's pre-state)."""
        ...

    def tx_roots(self) -> list[bytes]:
        """The roots r_1 .. r_n the pack commits to."""
        ...

    def step_state(self, tx_index: int, step: int) -> bytes:
        """State at ``step`` of transaction ``tx_index``'s (1-based) padded trace."""
        ...

    def step_proof(self, tx_index: int, step: int) -> bytes:
        """Proof data for the step from ``step`` to ``step + 1`` of ``tx_index``."""
        ...


def tx_roots_commitment(trace: TraceProvider) -> bytes:
    """The ``TxRootsMerkle`` commitment a pack built from ``trace`` would post."""
    return merkle.commitment(trace.tx_roots())


def tx_root_proof(trace: TraceProvider, tx_index: int) -> list[bytes]:
    """Merkle proof of r_``tx_index`` (1-based) in ``trace``'s commitment."""
    return merkle.proof(trace.tx_roots(), tx_index - 1)


def alphabet_state_hash(counter: int, value: int) -> bytes:
    """AlphabetVM commitment: keccak256(abi.encode(counter, value))."""
    return keccak_256(
        (counter % UINT256_MOD).to_bytes(32, "big") + (value % UINT256_MOD).to_bytes(32, "big")
    ).digest()


@dataclass(frozen=True)
class AlphabetTraceProvider:
    """An AlphabetVM execution of ``tx_count`` transactions of ``2**step_depth`` steps.

    Honest when ``lie_from`` is None; otherwise every value at global steps in
    ``[lie_from, lie_to)`` is one too large (``lie_to=None``: to the end).
    """

    tx_count: int
    step_depth: int
    start_value: int = 1000
    lie_from: int | None = None
    lie_to: int | None = None

    def __post_init__(self) -> None:
        if self.tx_count < 1:
            raise ValueError("a pack has at least one transaction")
        if not 0 <= self.step_depth <= 64:
            raise ValueError("step_depth must be in 0..64")
        if self.lie_from is not None and self.lie_from < 1:
            raise ValueError("the pre-state (step 0) is agreed: lie_from must be >= 1")

    @property
    def steps_per_tx(self) -> int:
        return 1 << self.step_depth

    @property
    def total_steps(self) -> int:
        return self.tx_count << self.step_depth

    def value_at(self, global_step: int) -> int:
        value = self.start_value + global_step
        if self.lie_from is not None and global_step >= self.lie_from:
            if self.lie_to is None or global_step < self.lie_to:
                value += 1
        return value % UINT256_MOD

    def state_at(self, global_step: int) -> bytes:
        return alphabet_state_hash(global_step, self.value_at(global_step))

    def tx_root(self, tx_index: int) -> bytes:
        if not 0 <= tx_index <= self.tx_count:
            raise IndexError(f"tx {tx_index} outside 0..{self.tx_count}")
        return self.state_at(tx_index << self.step_depth)

    def tx_roots(self) -> list[bytes]:
        return list(self._tx_roots)

    @cached_property
    def _tx_roots(self) -> tuple[bytes, ...]:
        return tuple(self.tx_root(index) for index in range(1, self.tx_count + 1))

    def _global_step(self, tx_index: int, step: int) -> int:
        if not 1 <= tx_index <= self.tx_count:
            raise IndexError(f"tx {tx_index} outside 1..{self.tx_count}")
        if not 0 <= step <= self.steps_per_tx:
            raise IndexError(f"step {step} outside 0..{self.steps_per_tx}")
        return ((tx_index - 1) << self.step_depth) + step

    def step_state(self, tx_index: int, step: int) -> bytes:
        return self.state_at(self._global_step(tx_index, step))

    def step_proof(self, tx_index: int, step: int) -> bytes:
        global_step = self._global_step(tx_index, step)
        if step == self.steps_per_tx:
            raise IndexError("the last state of a trace has no step after it")
        return global_step.to_bytes(32, "big") + self.value_at(global_step).to_bytes(32, "big")

    def with_lie(self, lie_from: int, lie_to: int | None = None) -> AlphabetTraceProvider:
        """The same execution, wrong on global steps ``[lie_from, lie_to)``."""
        return AlphabetTraceProvider(
            self.tx_count, self.step_depth, self.start_value, lie_from=lie_from, lie_to=lie_to
        )


def first_wrong_root(truth: TraceProvider, claimed_roots: list[bytes]) -> int | None:
    """1-based index of the first committed root that differs from ``truth`` (None: all match)."""
    for index, root in enumerate(claimed_roots, start=1):
        if truth.tx_root(index) != root:
            return index
    return None
