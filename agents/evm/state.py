"""Journaled in-memory world state of one transaction, layered over a StateBackend.

Every mutable container (accounts, storage slots, EIP-2929 warm sets, EIP-1153
transient storage, EIP-6780 created accounts, touched accounts, self-destructed
accounts) is a plain ``dict``; every write to one appends ``(container, key, old)``
to a single undo journal. A snapshot is the journal length and reverting pops the
journal back to it, so nested call frames cost O(writes) rather than O(state).

Reads that miss the overlay go to the :class:`~agents.evm.backend.StateBackend` and
are cached (not journaled: they are committed values). At the end of the transaction
:meth:`State.diff` turns the overlay into a :class:`~agents.evm.backend.StateDiff`.
"""

from __future__ import annotations

from typing import Any

from sha3 import keccak_256

from agents.evm.backend import EMPTY_CODE_HASH, Account, StateBackend, StateDiff

_MISSING: Any = object()
RIPEMD160_ADDRESS = (3).to_bytes(20, "big")


class Acct:
    """Mutable-by-replacement account record held in the overlay."""

    __slots__ = ("nonce", "balance", "code", "code_hash")

    def __init__(self, nonce: int, balance: int, code: bytes, code_hash: bytes) -> None:
        self.nonce = nonce
        self.balance = balance
        self.code = code
        self.code_hash = code_hash

    def is_empty(self) -> bool:
        """EIP-161 emptiness: no nonce, no balance, no code."""
        return self.nonce == 0 and self.balance == 0 and not self.code

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Acct(nonce={self.nonce}, balance={self.balance}, code={self.code.hex()[:20]})"


def _new_acct() -> Acct:
    return Acct(0, 0, b"", EMPTY_CODE_HASH)


class State:
    """The world state as one transaction sees it."""

    __slots__ = (
        "backend",
        "accounts",
        "storage",
        "committed_storage",
        "wiped",
        "created",
        "touched",
        "warm_addresses",
        "warm_slots",
        "transient",
        "journal",
        "dirty",
        "has_storage_fn",
        "destroyed",
        "ripemd_touched",
    )

    def __init__(self, backend: StateBackend) -> None:
        self.backend = backend
        self.accounts: dict[bytes, Acct | None] = {}
        self.storage: dict[bytes, dict[int, int]] = {}
        self.committed_storage: dict[tuple[bytes, int], int] = {}
        self.wiped: dict[bytes, bool] = {}
        self.created: dict[bytes, bool] = {}
        self.touched: dict[bytes, bool] = {}
        self.warm_addresses: dict[bytes, bool] = {}
        self.warm_slots: dict[tuple[bytes, int], bool] = {}
        self.transient: dict[tuple[bytes, int], int] = {}
        self.journal: list[tuple[dict[Any, Any], Any, Any]] = []
        self.dirty: set[bytes] = set()
        self.has_storage_fn = getattr(backend, "has_storage", None)
        self.destroyed: dict[bytes, bool] = {}
        # Historical quirk (mainnet block 2675119): a touch of the RIPEMD-160 precompile
        # survives the revert of the frame that made it. Not journaled on purpose.
        self.ripemd_touched = False

    # --- journal ----------------------------------------------------------------------
    def snapshot(self) -> int:
        """A point to :meth:`revert` to."""
        return len(self.journal)

    def revert(self, snapshot: int) -> None:
        """Undo every write made since ``snapshot``."""
        journal = self.journal
        while len(journal) > snapshot:
            container, key, old = journal.pop()
            if old is _MISSING:
                del container[key]
            else:
                container[key] = old

    def _put(self, container: dict[Any, Any], key: Any, value: Any) -> None:
        self.journal.append((container, key, container.get(key, _MISSING)))
        container[key] = value

    # --- accounts ---------------------------------------------------------------------
    def get_account(self, address: bytes) -> Acct | None:
        """The account at ``address`` or ``None`` if it does not exist."""
        try:
            return self.accounts[address]
        except KeyError:
            pass
        committed = self.backend.get_account(address)
        acct: Acct | None
        if committed is None:
            acct = None
        else:
            code = (
                b""
                if committed.code_hash == EMPTY_CODE_HASH
                else self.backend.get_code(committed.code_hash)
            )
            acct = Acct(committed.nonce, committed.balance, code, committed.code_hash)
        self.accounts[address] = acct
        return acct

    def get_or_empty(self, address: bytes) -> Acct:
        """The account, or a fresh empty record (not stored) if it does not exist."""
        acct = self.get_account(address)
        return _new_acct() if acct is None else acct

    def _set_account(self, address: bytes, acct: Acct | None) -> None:
        self.dirty.add(address)
        self._put(self.accounts, address, acct)

    def account_exists(self, address: bytes) -> bool:
        return self.get_account(address) is not None

    def is_alive(self, address: bytes) -> bool:
        """Exists and is not EIP-161 empty."""
        acct = self.get_account(address)
        return acct is not None and not acct.is_empty()

    def exists_and_empty(self, address: bytes) -> bool:
        acct = self.get_account(address)
        return acct is not None and acct.is_empty()

    def get_balance(self, address: bytes) -> int:
        acct = self.get_account(address)
        return 0 if acct is None else acct.balance

    def get_code(self, address: bytes) -> bytes:
        acct = self.get_account(address)
        return b"" if acct is None else acct.code

    def set_balance(self, address: bytes, balance: int) -> None:
        acct = self.get_or_empty(address)
        self._set_account(address, Acct(acct.nonce, balance, acct.code, acct.code_hash))

    def increment_nonce(self, address: bytes) -> None:
        acct = self.get_or_empty(address)
        self._set_account(address, Acct(acct.nonce + 1, acct.balance, acct.code, acct.code_hash))

    def set_code(self, address: bytes, code: bytes) -> None:
        acct = self.get_or_empty(address)
        code_hash = keccak_256(code).digest() if code else EMPTY_CODE_HASH
        self._set_account(address, Acct(acct.nonce, acct.balance, code, code_hash))

    def move_ether(self, sender: bytes, recipient: bytes, amount: int) -> None:
        """Transfer ``amount`` wei; the caller has checked the sender's balance."""
        self.set_balance(sender, self.get_balance(sender) - amount)
        self.set_balance(recipient, self.get_balance(recipient) + amount)

    def touch(self, address: bytes) -> None:
        """Create the account if missing and remember it for EIP-161 clearing."""
        if self.get_account(address) is None:
            self._set_account(address, _new_acct())
        self.mark_touched(address)

    def mark_touched(self, address: bytes) -> None:
        if address not in self.touched:
            self._put(self.touched, address, True)
        if address == RIPEMD160_ADDRESS:
            self.ripemd_touched = True

    def mark_destroyed(self, address: bytes) -> None:
        """Register a SELFDESTRUCT of an account created in this transaction."""
        if address not in self.destroyed:
            self._put(self.destroyed, address, True)

    def destroy_account(self, address: bytes) -> None:
        self.destroy_storage(address)
        self._set_account(address, None)

    def mark_created(self, address: bytes) -> None:
        if address not in self.created:
            self._put(self.created, address, True)

    def has_collision(self, address: bytes) -> bool:
        """CREATE target already has code, a nonce, or storage (EIP-684 / EIP-7610)."""
        acct = self.get_account(address)
        if acct is not None and (acct.nonce != 0 or acct.code):
            return True
        slots = self.storage.get(address)
        if slots and any(slots.values()):
            return True
        if address in self.wiped or self.has_storage_fn is None:
            return False
        return bool(self.has_storage_fn(address))

    # --- storage ----------------------------------------------------------------------
    def _committed(self, address: bytes, key: int) -> int:
        ck = (address, key)
        try:
            return self.committed_storage[ck]
        except KeyError:
            value = self.backend.get_storage(address, key)
            self.committed_storage[ck] = value
            return value

    def get_storage(self, address: bytes, key: int) -> int:
        slots = self.storage.get(address)
        if slots is not None:
            value = slots.get(key)
            if value is not None:
                return value
        if address in self.wiped:
            return 0
        return self._committed(address, key)

    def get_storage_original(self, address: bytes, key: int) -> int:
        """Value at the start of the transaction (EIP-2200 'original')."""
        if address in self.created:
            return 0
        return self._committed(address, key)

    def set_storage(self, address: bytes, key: int, value: int) -> None:
        slots = self.storage.get(address)
        if slots is None:
            slots = {}
            self._put(self.storage, address, slots)
        self._put(slots, key, value)

    def destroy_storage(self, address: bytes) -> None:
        if address not in self.wiped:
            self._put(self.wiped, address, True)
        self._put(self.storage, address, {})

    # --- transient storage (EIP-1153) ---------------------------------------------------
    def get_transient(self, address: bytes, key: int) -> int:
        return self.transient.get((address, key), 0)

    def set_transient(self, address: bytes, key: int, value: int) -> None:
        self._put(self.transient, (address, key), value)

    # --- EIP-2929 -----------------------------------------------------------------------
    def warm_address(self, address: bytes) -> bool:
        """Mark ``address`` warm; return whether it already was."""
        if address in self.warm_addresses:
            return True
        self.journal.append((self.warm_addresses, address, _MISSING))
        self.warm_addresses[address] = True
        return False

    def warm_slot(self, address: bytes, key: int) -> bool:
        """Mark the slot warm; return whether it already was."""
        sk = (address, key)
        if sk in self.warm_slots:
            return True
        self.journal.append((self.warm_slots, sk, _MISSING))
        self.warm_slots[sk] = True
        return False

    # --- end of transaction -----------------------------------------------------------
    def destroy_touched_empty(self) -> None:
        """EIP-161: delete every touched account that is empty."""
        touched = list(self.touched)
        if self.ripemd_touched and RIPEMD160_ADDRESS not in self.touched:
            touched.append(RIPEMD160_ADDRESS)
        for address in touched:
            if self.exists_and_empty(address):
                self.destroy_account(address)

    def diff(self) -> StateDiff:
        """The net changes of the transaction, for :meth:`StateBackend.apply`."""
        out = StateDiff()
        for address in self.dirty:
            acct = self.accounts.get(address, _MISSING)
            if acct is _MISSING:
                continue
            if acct is None:
                out.accounts[address] = None
                out.wiped_storage.add(address)
                continue
            out.accounts[address] = Account(acct.nonce, acct.balance, acct.code_hash)
            if acct.code:
                out.codes[acct.code_hash] = acct.code
        for address in self.wiped:
            out.wiped_storage.add(address)
        for address, slots in self.storage.items():
            if slots and self.accounts.get(address, _MISSING) is not None:
                out.storage[address] = dict(slots)
        return out
