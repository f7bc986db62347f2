"""The L1 -> L2 inbox: deposits and forced transactions read from ``contracts/L1Bridge.sol``,
and the pure rules producers follow and verifiers check (docs/verifier.md, "L1 -> L2").

Reading (:class:`L1Inbox`): ``DepositInitiated`` and ``ForcedTransactionQueued`` logs are
decoded into :class:`Deposit` / :class:`ForcedTx` and their hash chain is recomputed and
compared with the contract's on-chain accumulator, so a reader knows its list is complete
and unmodified (a missing or altered log raises :class:`InboxError`).

The rules (pure functions, shared by the producer that builds blocks and the verifier that
checks them); ``parent_ts`` and ``ts`` are the timestamps of an L2 block's parent and of
the block itself:

- :func:`deposits_due`: deposit i is credited in the block where
  ``parent_ts < creditable_at_i <= ts`` (``creditable_at = l1 timestamp +
  DEPOSIT_CONFIRMATION_DELAY``), i.e. in the first block whose timestamp reaches it,
  as balance credits before any transaction, in index order;
- :func:`forced_due`: forced transaction j falls due in the block where
  ``parent_ts < due_by_j <= ts``; it must be in that block or an earlier one, unless it
  cannot execute at that block's start (undecodable, bad signature, wrong chain, nonce,
  balance): the verifier decides that by trial execution (the ``not_includable`` hook);
- :func:`check_block_inbox` applies both to one block and lists every violation;
- :func:`credit_diff` is the state change of a block's deposit credits (for the producer's
  block execution, once its block format carries them);
- :func:`inbox_covers`: an L1 view is complete for L2 time ``ts`` once
  ``ts < t_L1 + min(delays)`` for the L1 head's timestamp ``t_L1`` (nothing that falls
  due by ``ts`` can still be submitted).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from agents.evm.backend import Account, StateBackend, StateDiff
from agents.l1.client import L1Client, L1Error


class InboxError(L1Error):
    """The L1 inbox could not be read consistently (missing logs, accumulator mismatch)."""


@dataclass(frozen=True)
class BridgeConfig:
    """The L1Bridge's immutables."""

    address: str
    l2_chain_id: int
    deposit_confirmation_delay: int
    forced_inclusion_delay: int
    min_deposit: int
    max_forced_tx_bytes: int


@dataclass(frozen=True)
class Deposit:
    """One ``DepositInitiated`` event."""

    index: int
    sender: str
    recipient: str
    amount: int
    l1_timestamp: int
    creditable_at: int
    accumulator: bytes
    l1_block: int = 0

    def item_hash(self) -> bytes:
        """``L1Bridge.depositHash``."""
        return keccak(
            abi_encode(
                ["uint256", "address", "address", "uint256", "uint64"],
                [self.index, self.sender, self.recipient, self.amount, self.l1_timestamp],
            )
        )


@dataclass(frozen=True)
class ForcedTx:
    """One ``ForcedTransactionQueued`` event."""

    index: int
    submitter: str
    tx_hash: bytes
    raw: bytes
    l1_timestamp: int
    due_by: int
    accumulator: bytes
    l1_block: int = 0

    def item_hash(self) -> bytes:
        """``L1Bridge.forcedHash``."""
        return keccak(
            abi_encode(
                ["uint256", "address", "bytes32", "uint64"],
                [self.index, self.submitter, self.tx_hash, self.l1_timestamp],
            )
        )


def accumulate(previous: bytes, item_hash: bytes) -> bytes:
    """One accumulator step: keccak256(previous || item)."""
    return keccak(previous + item_hash)


def check_chain(items: Sequence[Deposit | ForcedTx], start: bytes = bytes(32)) -> None:
    """Raise :class:`InboxError` unless ``items`` have consecutive indices and each one's
    accumulator folds the previous one with its own hash."""
    acc = start
    for position, item in enumerate(items):
        if position and item.index != items[position - 1].index + 1:
            raise InboxError(f"inbox item {items[position - 1].index + 1} is missing")
        acc = accumulate(acc, item.item_hash())
        if acc != item.accumulator:
            raise InboxError(f"inbox item {item.index}: accumulator mismatch (log altered?)")


# -- reading from L1 -------------------------------------------------------------------


@dataclass
class L1Inbox:
    """Reads one L1Bridge; caches what it has read (events are append-only)."""

    client: L1Client
    contract: Contract
    scan_chunk: int = 5000
    _deposits: list[Deposit] | None = None
    _forced: list[ForcedTx] | None = None
    _scanned_to: int = -1
    _config: BridgeConfig | None = None

    @classmethod
    def at(cls, client: L1Client, address: str) -> L1Inbox:
        return cls(client, client.contract("L1Bridge", address))

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def config(self) -> BridgeConfig:
        if self._config is None:
            fns = self.contract.functions
            self._config = BridgeConfig(
                address=self.address,
                l2_chain_id=int(self.client.call(fns.L2_CHAIN_ID())),
                deposit_confirmation_delay=int(self.client.call(fns.DEPOSIT_CONFIRMATION_DELAY())),
                forced_inclusion_delay=int(self.client.call(fns.FORCED_INCLUSION_DELAY())),
                min_deposit=int(self.client.call(fns.MIN_DEPOSIT())),
                max_forced_tx_bytes=int(self.client.call(fns.MAX_FORCED_TX_BYTES())),
            )
        return self._config

    def refresh(self) -> int:
        """Read new logs up to the L1 head; returns the L1 head's timestamp (what the
        view is complete for, see :func:`inbox_covers`)."""
        head = self.client.w3.eth.get_block("latest")
        head_number = int(head["number"])
        deposits = list(self._deposits or [])
        forced = list(self._forced or [])
        start = self._scanned_to + 1
        while start <= head_number:
            end = min(head_number, start + self.scan_chunk - 1)
            for log in self.contract.events.DepositInitiated().get_logs(
                from_block=start, to_block=end
            ):
                deposits.append(_deposit_from_log(log))
            for log in self.contract.events.ForcedTransactionQueued().get_logs(
                from_block=start, to_block=end
            ):
                forced.append(_forced_from_log(log))
            start = end + 1
        deposits.sort(key=lambda d: d.index)
        forced.sort(key=lambda f: f.index)
        check_chain(deposits)
        check_chain(forced)
        fns = self.contract.functions
        count = int(self.client.call(fns.depositCount()))
        if count != len(deposits):
            raise InboxError(f"the bridge holds {count} deposits, the logs show {len(deposits)}")
        if count and bytes(self.client.call(fns.depositAccumulator(count - 1))) != (
            deposits[-1].accumulator
        ):
            raise InboxError("the deposit accumulator differs from the logs")
        fcount = int(self.client.call(fns.forcedCount()))
        if fcount != len(forced):
            raise InboxError(f"the bridge holds {fcount} forced txs, the logs show {len(forced)}")
        if fcount and bytes(self.client.call(fns.forcedAccumulator(fcount - 1))) != (
            forced[-1].accumulator
        ):
            raise InboxError("the forced-transaction accumulator differs from the logs")
        self._deposits, self._forced, self._scanned_to = deposits, forced, head_number
        return int(head["timestamp"])

    def deposits(self) -> list[Deposit]:
        if self._deposits is None:
            self.refresh()
        return list(self._deposits or [])

    def forced(self) -> list[ForcedTx]:
        if self._forced is None:
            self.refresh()
        return list(self._forced or [])

    # -- actions (users, tests) ------------------------------------------------------

    def deposit(self, sender: LocalAccount, recipient: str, amount: int) -> int:
        """Deposit ``amount`` wei for ``recipient``; returns the deposit index."""
        fn = self.contract.functions.deposit(Web3.to_checksum_address(recipient))
        receipt = self.client.transact(fn, sender, value=amount)
        events = self.contract.events.DepositInitiated().process_receipt(receipt)
        return int(events[0]["args"]["depositIndex"])

    def submit_forced(self, sender: LocalAccount, raw_tx: bytes) -> int:
        """Queue ``raw_tx`` for forced inclusion; returns its index."""
        fn = self.contract.functions.submitForcedTransaction(raw_tx)
        receipt = self.client.transact(fn, sender)
        events = self.contract.events.ForcedTransactionQueued().process_receipt(receipt)
        return int(events[0]["args"]["forcedIndex"])


def _deposit_from_log(log: Any) -> Deposit:
    args = log["args"]
    return Deposit(
        index=int(args["depositIndex"]),
        sender=str(args["from"]),
        recipient=str(args["l2Recipient"]),
        amount=int(args["amount"]),
        l1_timestamp=int(args["l1Timestamp"]),
        creditable_at=int(args["creditableAt"]),
        accumulator=bytes(args["accumulator"]),
        l1_block=int(log["blockNumber"]),
    )


def _forced_from_log(log: Any) -> ForcedTx:
    args = log["args"]
    return ForcedTx(
        index=int(args["forcedIndex"]),
        submitter=str(args["submitter"]),
        tx_hash=bytes(args["txHash"]),
        raw=bytes(args["rawTx"]),
        l1_timestamp=int(args["l1Timestamp"]),
        due_by=int(args["dueBy"]),
        accumulator=bytes(args["accumulator"]),
        l1_block=int(log["blockNumber"]),
    )


def deploy_bridge(
    client: L1Client,
    deployer: LocalAccount,
    *,
    l2_chain_id: int,
    deposit_confirmation_delay: int = 12,
    forced_inclusion_delay: int = 600,
    min_deposit: int = 10**9,
    max_forced_tx_bytes: int = 128 * 1024,
) -> L1Inbox:
    """Deploy an L1Bridge and return its reader."""
    contract = client.deploy(
        "L1Bridge",
        deployer,
        l2_chain_id,
        deposit_confirmation_delay,
        forced_inclusion_delay,
        min_deposit,
        max_forced_tx_bytes,
    )
    return L1Inbox(client, contract)


# -- the rules (pure) ------------------------------------------------------------------


def _in_window(instant: int, parent_ts: int | None, ts: int) -> bool:
    return (parent_ts is None or parent_ts < instant) and instant <= ts


def deposits_due(deposits: Sequence[Deposit], parent_ts: int | None, ts: int) -> list[Deposit]:
    """The deposits an L2 block with timestamp ``ts`` (parent ``parent_ts``; None for the
    first block after genesis) must credit, in index order."""
    return sorted(
        (d for d in deposits if _in_window(d.creditable_at, parent_ts, ts)), key=lambda d: d.index
    )


def forced_due(forced: Sequence[ForcedTx], parent_ts: int | None, ts: int) -> list[ForcedTx]:
    """The forced transactions that fall due in an L2 block with timestamp ``ts``."""
    return sorted((f for f in forced if _in_window(f.due_by, parent_ts, ts)), key=lambda f: f.index)


def inbox_covers(l1_head_timestamp: int, ts: int, config: BridgeConfig) -> bool:
    """Whether an inbox read at an L1 head of ``l1_head_timestamp`` knows everything that
    falls due by L2 time ``ts``: anything not yet seen lands in an L1 block stamped
    ``>= l1_head_timestamp`` (a later block may share the head's timestamp), so it falls
    due at ``>= l1_head_timestamp + min(delays)``, which must be after ``ts``."""
    delay = min(config.deposit_confirmation_delay, config.forced_inclusion_delay)
    return ts < l1_head_timestamp + delay


@dataclass(frozen=True)
class Credit:
    """A balance credit an L2 block claims to apply for deposit ``index``."""

    index: int
    recipient: str
    amount: int


def credits_for(deposits: Sequence[Deposit]) -> list[Credit]:
    """The credits a block applies for ``deposits`` (as :func:`deposits_due` orders them)."""
    return [Credit(d.index, d.recipient, d.amount) for d in deposits]


def credit_diff(backend: StateBackend, credits: Sequence[Credit]) -> StateDiff:
    """The state change of ``credits`` applied on ``backend``'s state, before a block's
    first transaction: each recipient's balance grows by the amount (an absent account is
    created with nonce 0 and no code). For the producer's block execution and for
    verifiers re-executing it."""
    diff = StateDiff()
    for credit in credits:
        address = bytes.fromhex(Web3.to_checksum_address(credit.recipient)[2:])
        current = diff.accounts.get(address) or backend.get_account(address) or Account()
        diff.accounts[address] = Account(
            current.nonce, current.balance + credit.amount, current.code_hash
        )
    return diff


@dataclass(frozen=True)
class InboxViolation:
    """Why a block breaks the inbox rules."""

    kind: str  # "deposit-missing" | "deposit-unexpected" | "deposit-mismatch" | "forced-missing"
    index: int
    detail: str


#: ``not_includable(forced_tx)`` -> None when the transaction would execute at the block's
#: start (after the deposit credits), else the reason it cannot (trial execution).
NotIncludable = Callable[[ForcedTx], str | None]


def check_block_inbox(
    *,
    parent_ts: int | None,
    ts: int,
    credits: Sequence[Credit] | None,
    included_hashes: Collection[bytes],
    deposits: Sequence[Deposit],
    forced: Sequence[ForcedTx],
    not_includable: NotIncludable,
) -> list[InboxViolation]:
    """Every way one L2 block breaks the inbox rules (empty: it follows them).

    ``credits`` are the deposit credits the block carries, in order (None when the block
    format carries none: then only forced inclusion is checked here, and the credits are
    checked by re-execution, which applies :func:`deposits_due` itself);
    ``included_hashes`` are the hashes of the transactions of this block and of every
    earlier block of the chain.
    """
    violations: list[InboxViolation] = []
    if credits is not None:
        due = deposits_due(deposits, parent_ts, ts)
        due_by_index = {d.index: d for d in due}
        seen: set[int] = set()
        for credit in credits:
            deposit = due_by_index.get(credit.index)
            if deposit is None:
                violations.append(
                    InboxViolation("deposit-unexpected", credit.index, "not due in this block")
                )
                continue
            seen.add(credit.index)
            if (
                Web3.to_checksum_address(credit.recipient) != deposit.recipient
                or credit.amount != deposit.amount
            ):
                violations.append(
                    InboxViolation(
                        "deposit-mismatch",
                        credit.index,
                        f"credits {credit.amount} to {credit.recipient}, L1 says "
                        f"{deposit.amount} to {deposit.recipient}",
                    )
                )
        if [c.index for c in credits if c.index in due_by_index] != [
            d.index for d in due if d.index in seen
        ]:
            violations.append(InboxViolation("deposit-mismatch", -1, "credits out of index order"))
        for deposit in due:
            if deposit.index not in seen:
                violations.append(
                    InboxViolation(
                        "deposit-missing",
                        deposit.index,
                        f"{deposit.amount} wei to {deposit.recipient} creditable at "
                        f"{deposit.creditable_at}",
                    )
                )
    included = set(included_hashes)
    for item in forced_due(forced, parent_ts, ts):
        if item.tx_hash in included:
            continue
        reason = not_includable(item)
        if reason is None:
            violations.append(
                InboxViolation(
                    "forced-missing",
                    item.index,
                    f"tx 0x{item.tx_hash.hex()} due by {item.due_by} is executable but missing",
                )
            )
    return violations
