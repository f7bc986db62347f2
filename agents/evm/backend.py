"""The contract between the EVM and whatever stores the world state.

The interpreter keeps a journaled in-memory overlay of the accounts and storage a
transaction touches; it reads misses through a :class:`StateBackend` and, after each
transaction, hands the net changes to :meth:`StateBackend.apply` which returns the new
state root. Two backends exist: a plain in-memory one (state tests, differential
tests) and the Merkleized persistent store (:mod:`agents.evm.store`) whose roots the
one-step prover on L1 can open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

EMPTY_CODE_HASH = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")


@dataclass(frozen=True, slots=True)
class Account:
    """An account as the EVM sees it; storage lives beside it, keyed by address."""

    nonce: int = 0
    balance: int = 0
    code_hash: bytes = EMPTY_CODE_HASH


@dataclass(slots=True)
class StateDiff:
    """Net effect of one transaction on the world state.

    ``accounts`` maps an address to its new account, or ``None`` when the account was
    deleted (SELFDESTRUCT of an account created in the same transaction, or EIP-158
    touched-empty removal). ``storage`` maps an address to the slots it changed; a value
    of 0 deletes the slot. ``wiped_storage`` lists addresses whose whole storage is
    cleared before ``storage`` is applied (account deleted or re-created). ``codes``
    maps new code hashes to their bytes.
    """

    accounts: dict[bytes, Account | None] = field(default_factory=dict)
    storage: dict[bytes, dict[int, int]] = field(default_factory=dict)
    wiped_storage: set[bytes] = field(default_factory=set)
    codes: dict[bytes, bytes] = field(default_factory=dict)


class StateBackend(Protocol):
    """Read access to committed state plus an atomic apply that returns the new root."""

    def get_account(self, address: bytes) -> Account | None:
        """The committed account at ``address`` (20 bytes), or ``None`` if absent."""
        ...

    def get_storage(self, address: bytes, key: int) -> int:
        """The committed value of storage slot ``key`` of ``address`` (0 if unset)."""
        ...

    def get_code(self, code_hash: bytes) -> bytes:
        """The code whose keccak256 is ``code_hash`` (``b""`` for the empty hash)."""
        ...

    def apply(self, diff: StateDiff) -> bytes:
        """Apply ``diff`` on top of the current state and return the new 32-byte root."""
        ...

    def state_root(self) -> bytes:
        """The root of the current committed state."""
        ...
