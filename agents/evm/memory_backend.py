"""An in-memory :class:`~agents.evm.backend.StateBackend` whose roots are Ethereum MPT
state roots (used by the state tests and differential tests)."""

from __future__ import annotations

from sha3 import keccak_256

from agents.evm.backend import EMPTY_CODE_HASH, Account, StateDiff
from agents.evm.mpt import hex_trie_root, storage_root
from agents.evm.rlp import encode


class MemoryBackend:
    """Dict-based world state; storage roots are cached per account."""

    def __init__(self) -> None:
        self.accounts: dict[bytes, Account] = {}
        self.storage: dict[bytes, dict[int, int]] = {}
        self.codes: dict[bytes, bytes] = {EMPTY_CODE_HASH: b""}
        self._storage_roots: dict[bytes, bytes] = {}
        self._leaves: dict[str, bytes] = {}  # keccak(address).hex() -> account RLP
        self._stale: set[bytes] = set()  # addresses whose leaf must be re-encoded
        self._root: bytes | None = None

    # --- setup helpers ------------------------------------------------------------------
    def set_account(
        self,
        address: bytes,
        nonce: int = 0,
        balance: int = 0,
        code: bytes = b"",
        storage: dict[int, int] | None = None,
    ) -> None:
        """Install an account directly (genesis / test pre-state)."""
        code_hash = keccak_256(code).digest() if code else EMPTY_CODE_HASH
        self.codes[code_hash] = code
        self.accounts[address] = Account(nonce, balance, code_hash)
        self.storage[address] = {k: v for k, v in (storage or {}).items() if v}
        self._storage_roots.pop(address, None)
        self._stale.add(address)
        self._root = None

    # --- StateBackend -------------------------------------------------------------------
    def get_account(self, address: bytes) -> Account | None:
        return self.accounts.get(address)

    def get_storage(self, address: bytes, key: int) -> int:
        slots = self.storage.get(address)
        return slots.get(key, 0) if slots else 0

    def get_code(self, code_hash: bytes) -> bytes:
        return self.codes[code_hash]

    def has_storage(self, address: bytes) -> bool:
        """Whether ``address`` has any non-zero slot (EIP-7610 collision rule)."""
        return bool(self.storage.get(address))

    def apply(self, diff: StateDiff) -> bytes:
        stale = self._stale
        stale.update(diff.wiped_storage)
        stale.update(diff.accounts)
        stale.update(diff.storage)
        for address in diff.wiped_storage:
            self.storage.pop(address, None)
            self._storage_roots.pop(address, None)
        for address, account in diff.accounts.items():
            if account is None:
                self.accounts.pop(address, None)
                self.storage.pop(address, None)
                self._storage_roots.pop(address, None)
            else:
                self.accounts[address] = account
        for address, slots in diff.storage.items():
            current = self.storage.setdefault(address, {})
            for key, value in slots.items():
                if value:
                    current[key] = value
                else:
                    current.pop(key, None)
            self._storage_roots.pop(address, None)
        self.codes.update(diff.codes)
        self._root = None
        return self.state_root()

    def state_root(self) -> bytes:
        if self._root is None:
            leaves = self._leaves
            for address in self._stale:
                key = keccak_256(address).hexdigest()
                account = self.accounts.get(address)
                if account is None:
                    leaves.pop(key, None)
                    continue
                root = self._storage_roots.get(address)
                if root is None:
                    root = storage_root(self.storage.get(address, {}))
                    self._storage_roots[address] = root
                leaves[key] = encode([account.nonce, account.balance, root, account.code_hash])
            self._stale.clear()
            self._root = hex_trie_root(leaves)
        return self._root
