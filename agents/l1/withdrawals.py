"""L2 -> L1 withdrawals: finding them, proving them, and claiming them on L1.

A user calls ``withdraw(l1Recipient)`` on the ``L2Withdrawals`` predeploy
(:mod:`agents.l2.predeploys`) with ETH; the predeploy stores
``keccak(abi.encode(nonce, l2Sender, l1Recipient, amount))`` at slot
``keccak(abi.encode(nonce, 0))``. Once a pack whose state contains that slot is tier 3
on L1, :func:`build_withdrawal_proof` reads, from a :class:`~agents.evm.store.MerkleStore`
at that pack's state root, the predeploy's account record with its account-tree proof
and the slot's storage-tree proof (:func:`withdrawal_proof_from_rpc` gets the same from
the rollup RPC's ``eth_getProof`` and verifies it), and :class:`WithdrawalPortalContract`
submits them to ``WithdrawalPortal.proveAndFinalize`` (``contracts/WithdrawalPortal.sol``).

Finding withdrawals: :func:`find_withdrawals` reads the predeploy's
``WithdrawalInitiated`` logs over the rollup's JSON-RPC (``eth_getLogs``);
:func:`withdrawals_from_logs` decodes them from EVM logs already at hand (a producer's
receipts); :func:`recorded_withdrawal_count` and :func:`recorded_hash` read the
predeploy's storage straight from the store, to check a withdrawal is in a given state.

Layout and gas: ``docs/withdrawals.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import RPCEndpoint, TxReceipt

from agents.evm import smt
from agents.evm.store import AccountProof, AccountRecord, MerkleStore, verify_account_proof
from agents.evm.vm import Log
from agents.l1.artifacts import load_artifact
from agents.l1.client import L1Client, L1Error
from agents.l1.rollup import RollupContract, Tier
from agents.l2.predeploys import (
    L2_WITHDRAWALS_ADDRESS,
    WITHDRAWAL_COUNT_SLOT,
    withdrawal_hash,
    withdrawal_slot,
)

#: topic0 of ``WithdrawalInitiated(uint256,address,address,uint256,bytes32)``.
WITHDRAWAL_INITIATED_TOPIC = keccak(
    text="WithdrawalInitiated(uint256,address,address,uint256,bytes32)"
)


class WithdrawalError(ValueError):
    """A withdrawal cannot be proven or claimed (the message says why)."""


@dataclass(frozen=True)
class Withdrawal:
    """A withdrawal as the predeploy recorded it."""

    nonce: int
    l2_sender: str
    l1_recipient: str
    amount: int

    @property
    def hash(self) -> bytes:
        """``keccak256(abi.encode(nonce, l2Sender, l1Recipient, amount))``."""
        return withdrawal_hash(self.nonce, self.l2_sender, self.l1_recipient, self.amount)

    @property
    def slot(self) -> int:
        """The predeploy's storage slot holding :attr:`hash`."""
        return withdrawal_slot(self.nonce)

    def as_abi(self) -> tuple[int, str, str, int]:
        return (
            self.nonce,
            to_checksum_address(self.l2_sender),
            to_checksum_address(self.l1_recipient),
            self.amount,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "nonce": self.nonce,
            "l2Sender": to_checksum_address(self.l2_sender),
            "l1Recipient": to_checksum_address(self.l1_recipient),
            "amount": str(self.amount),
            "hash": "0x" + self.hash.hex(),
            "slot": hex(self.slot),
        }


@dataclass(frozen=True)
class FoundWithdrawal:
    """A withdrawal and where its L2 log was seen."""

    withdrawal: Withdrawal
    l2_block: int
    l2_tx_hash: bytes


@dataclass(frozen=True)
class WithdrawalProof:
    """What ``proveAndFinalize`` needs besides the pack id (``WithdrawalProof`` in Solidity)."""

    state_root: bytes
    account: AccountRecord
    account_proof: smt.SmtProof
    storage_proof: smt.SmtProof

    def as_abi(self) -> tuple[Any, ...]:
        a = self.account
        record = (a.nonce, a.balance, a.storage_root, a.code_hash, a.code_root, a.code_size)
        return (record, smt_proof_abi(self.account_proof), smt_proof_abi(self.storage_proof))

    def size_bytes(self) -> int:
        """Payload bytes: the 192-byte record plus both SMT proofs."""
        return 192 + self.account_proof.size_bytes() + self.storage_proof.size_bytes()


def smt_proof_abi(proof: smt.SmtProof) -> tuple[Any, ...]:
    """``SparseMerkle.Proof``: ``(depth, siblingBitmap, siblings, hasTerminalLeaf,
    terminalPath, terminalValue, deepestSiblingPreimage)``."""
    terminal = proof.terminal_leaf
    return (
        proof.depth,
        proof.sibling_bitmap,
        [bytes(s) for s in proof.siblings],
        terminal is not None,
        terminal[0] if terminal is not None else bytes(32),
        terminal[1] if terminal is not None else bytes(32),
        proof.deepest_sibling_preimage or b"",
    )


# -- reading the predeploy from a store --------------------------------------------------


def _address_bytes(address: str) -> bytes:
    return bytes.fromhex(to_checksum_address(address)[2:])


def recorded_withdrawal_count(
    store: MerkleStore, state_root: bytes, predeploy: str = L2_WITHDRAWALS_ADDRESS
) -> int:
    """The predeploy's withdrawal count (the next nonce) in the state ``state_root``."""
    _require_root(store, state_root)
    return store.storage_at(_address_bytes(predeploy), WITHDRAWAL_COUNT_SLOT, state_root)


def recorded_hash(
    store: MerkleStore, state_root: bytes, nonce: int, predeploy: str = L2_WITHDRAWALS_ADDRESS
) -> bytes | None:
    """The hash the predeploy holds for ``nonce`` at ``state_root`` (None if none)."""
    _require_root(store, state_root)
    value = store.storage_at(_address_bytes(predeploy), withdrawal_slot(nonce), state_root)
    return None if value == 0 else value.to_bytes(32, "big")


def _require_root(store: MerkleStore, state_root: bytes) -> None:
    try:
        store.at_root(state_root)
    except KeyError:
        raise WithdrawalError(
            f"the state store does not hold state root 0x{state_root.hex()} "
            "(a store of another rollup, or one that has not executed that far)"
        ) from None


def build_withdrawal_proof(
    store: MerkleStore,
    state_root: bytes,
    withdrawal: Withdrawal,
    predeploy: str = L2_WITHDRAWALS_ADDRESS,
) -> WithdrawalProof:
    """The account and storage proofs of ``withdrawal`` in the state ``state_root``.

    Raises :class:`WithdrawalError` when the store lacks the root, the predeploy does not
    exist there, or its slot does not hold the withdrawal's hash (not included yet, or
    the details are wrong).
    """
    _require_root(store, state_root)
    address = _address_bytes(predeploy)
    account_proof = store.prove_account(address, state_root)
    record = account_proof.record
    if record is None:
        raise WithdrawalError(f"no predeploy at {predeploy} in state 0x{state_root.hex()}")
    storage_proof = store.prove_storage(address, withdrawal.slot, state_root)
    expected = int.from_bytes(withdrawal.hash, "big")
    if storage_proof.value != expected:
        if storage_proof.value == 0:
            raise WithdrawalError(
                f"withdrawal {withdrawal.nonce} is not recorded in state 0x{state_root.hex()}"
            )
        raise WithdrawalError(
            f"withdrawal {withdrawal.nonce} is recorded with another hash "
            f"(0x{storage_proof.value:064x}): sender, recipient or amount differ"
        )
    # Both proofs are checked here as the portal will check them.
    if not verify_account_proof(state_root, account_proof):
        raise WithdrawalError("the store produced an account proof that does not verify")
    if not smt.verify_proof(
        record.storage_root,
        withdrawal.slot.to_bytes(32, "big"),
        withdrawal.hash,
        storage_proof.proof,
    ):
        raise WithdrawalError("the store produced a storage proof that does not verify")
    return WithdrawalProof(state_root, record, account_proof.proof, storage_proof.proof)


def _smt_from_json(data: Any) -> smt.SmtProof:
    """An :class:`~agents.evm.smt.SmtProof` from its ``to_json`` form."""

    def word(value: Any) -> bytes:
        raw = bytes.fromhex(str(value).removeprefix("0x"))
        if len(raw) != 32:
            raise ValueError("expected a 32-byte word")
        return raw

    terminal = data.get("terminalLeaf")
    preimage = data.get("deepestSiblingPreimage")
    return smt.SmtProof(
        depth=int(data["depth"]),
        sibling_bitmap=int.from_bytes(word(data["siblingBitmap"]), "big"),
        siblings=tuple(word(s) for s in data["siblings"]),
        terminal_leaf=None
        if terminal is None
        else (word(terminal["path"]), word(terminal["value"])),
        deepest_sibling_preimage=(
            None if preimage is None else bytes.fromhex(str(preimage).removeprefix("0x"))
        ),
    )


def withdrawal_proof_from_rpc(
    l2: Web3,
    l2_block: int,
    withdrawal: Withdrawal,
    expected_root: bytes,
    predeploy: str = L2_WITHDRAWALS_ADDRESS,
) -> WithdrawalProof:
    """The proof of ``withdrawal`` from the rollup RPC's ``eth_getProof`` at ``l2_block``
    (the last block of the pack to prove against, whose root is ``expected_root``).

    Nothing from the RPC is trusted: the state root must be the pack's, and both proofs
    are verified here before they are returned (the portal checks them again).
    """
    slot = "0x" + withdrawal.slot.to_bytes(32, "big").hex()
    answer = l2.provider.make_request(
        RPCEndpoint("eth_getProof"), [to_checksum_address(predeploy), [slot], hex(l2_block)]
    )
    if "error" in answer:
        raise WithdrawalError(f"eth_getProof at L2 block {l2_block} failed: {answer['error']}")
    result = answer["result"]
    try:
        state_root = bytes.fromhex(str(result["stateRoot"]).removeprefix("0x"))
        if state_root != expected_root:
            raise WithdrawalError(
                f"L2 block {l2_block} has state root 0x{state_root.hex()} on the rollup RPC, "
                f"the pack has 0x{expected_root.hex()}: the RPC follows another chain"
            )
        if not result.get("accountExists", True):
            raise WithdrawalError(f"no predeploy at {predeploy} at L2 block {l2_block}")
        record = AccountRecord(
            nonce=int(result["nonce"], 16),
            balance=int(result["balance"], 16),
            storage_root=bytes.fromhex(str(result["storageHash"]).removeprefix("0x")),
            code_hash=bytes.fromhex(str(result["codeHash"]).removeprefix("0x")),
            code_root=bytes.fromhex(str(result["codeRoot"]).removeprefix("0x")),
            code_size=int(result["codeSize"], 16),
        )
        account_proof = _smt_from_json(result["accountSmtProof"])
        (storage,) = result["storageProof"]
        value = int(storage["value"], 16)
        storage_proof = _smt_from_json(storage["smtProof"])
    except (KeyError, TypeError, ValueError) as error:
        raise WithdrawalError(f"malformed eth_getProof answer: {error!r}") from None
    if value != int.from_bytes(withdrawal.hash, "big"):
        raise WithdrawalError(
            f"withdrawal {withdrawal.nonce} is not recorded with this hash at L2 block {l2_block}"
        )
    address = _address_bytes(predeploy)
    if not verify_account_proof(state_root, AccountProof(address, record, account_proof)):
        raise WithdrawalError("the rollup RPC returned an account proof that does not verify")
    if not smt.verify_proof(
        record.storage_root, withdrawal.slot.to_bytes(32, "big"), withdrawal.hash, storage_proof
    ):
        raise WithdrawalError("the rollup RPC returned a storage proof that does not verify")
    return WithdrawalProof(state_root, record, account_proof, storage_proof)


# -- finding withdrawals -----------------------------------------------------------------


def decode_withdrawal_log(
    address: str | bytes,
    topics: Sequence[bytes],
    data: bytes,
    predeploy: str = L2_WITHDRAWALS_ADDRESS,
) -> Withdrawal | None:
    """The withdrawal of one ``WithdrawalInitiated`` log, or None for any other log."""
    emitter = to_checksum_address(address if isinstance(address, str) else "0x" + address.hex())
    if emitter != to_checksum_address(predeploy) or len(topics) != 4:
        return None
    if bytes(topics[0]) != WITHDRAWAL_INITIATED_TOPIC:
        return None
    amount, recorded = abi_decode(["uint256", "bytes32"], bytes(data))
    withdrawal = Withdrawal(
        nonce=int.from_bytes(bytes(topics[1]), "big"),
        l2_sender=to_checksum_address(bytes(topics[2])[12:]),
        l1_recipient=to_checksum_address(bytes(topics[3])[12:]),
        amount=int(amount),
    )
    if withdrawal.hash != bytes(recorded):
        raise WithdrawalError(
            f"withdrawal log {withdrawal.nonce} carries a hash that does not match"
        )
    return withdrawal


def withdrawals_from_logs(
    logs: Iterable[Log], predeploy: str = L2_WITHDRAWALS_ADDRESS
) -> list[Withdrawal]:
    """Withdrawals in EVM logs (``(address, topics, data)``, as
    :attr:`agents.evm.processing.TxResult.logs` and block receipts hold them)."""
    found = []
    for address, topics, data in logs:
        withdrawal = decode_withdrawal_log(address, topics, data, predeploy)
        if withdrawal is not None:
            found.append(withdrawal)
    return found


def _topic_of(address: str) -> str:
    return "0x" + bytes(12).hex() + to_checksum_address(address)[2:].lower()


def find_withdrawals(
    l2: Web3,
    *,
    l2_sender: str | None = None,
    l1_recipient: str | None = None,
    nonce: int | None = None,
    from_block: int = 0,
    to_block: int | str = "latest",
    predeploy: str = L2_WITHDRAWALS_ADDRESS,
) -> list[FoundWithdrawal]:
    """Withdrawals matching the filters, read with ``eth_getLogs`` from the rollup's RPC."""
    topics: list[str | None] = [
        "0x" + WITHDRAWAL_INITIATED_TOPIC.hex(),
        None if nonce is None else "0x" + nonce.to_bytes(32, "big").hex(),
        None if l2_sender is None else _topic_of(l2_sender),
        None if l1_recipient is None else _topic_of(l1_recipient),
    ]
    while topics and topics[-1] is None:
        topics.pop()
    params: dict[str, Any] = {
        "address": to_checksum_address(predeploy),
        "fromBlock": from_block,
        "toBlock": to_block,
        "topics": topics,
    }
    found = []
    for log in l2.eth.get_logs(params):  # type: ignore[arg-type]
        withdrawal = decode_withdrawal_log(
            str(log["address"]), [bytes(t) for t in log["topics"]], bytes(log["data"]), predeploy
        )
        if withdrawal is not None:
            found.append(
                FoundWithdrawal(withdrawal, int(log["blockNumber"]), bytes(log["transactionHash"]))
            )
    return found


# -- choosing the pack -------------------------------------------------------------------


def final_pack_for_block(rollup: RollupContract, l2_block: int) -> int:
    """The last tier-3 pack, if it covers ``l2_block`` (the withdrawal's L2 block);
    :class:`WithdrawalError` otherwise, saying what the block is waiting for."""
    located = rollup.tier_of_block(l2_block)
    if located is None:
        raise WithdrawalError(f"L2 block {l2_block} is not in any posted pack yet")
    tier, pack_id = located
    if tier is not Tier.ROLLUP_FINAL:
        raise WithdrawalError(
            f"L2 block {l2_block} is in pack {pack_id}, which is {tier.name}, not ROLLUP_FINAL "
            "(wait for its challenge window and finalization)"
        )
    return rollup.last_finalized()


# -- the portal --------------------------------------------------------------------------


@dataclass
class WithdrawalPortalContract:
    """Typed access to a deployed ``WithdrawalPortal``."""

    client: L1Client
    contract: Contract

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @classmethod
    def at(cls, client: L1Client, address: str) -> WithdrawalPortalContract:
        return cls(client, client.contract("WithdrawalPortal", address))

    def _call(self, name: str, *args: Any) -> Any:
        return self.client.call(getattr(self.contract.functions, name)(*args))

    def rollup(self) -> str:
        return str(self._call("ROLLUP"))

    def l2_withdrawals(self) -> str:
        return str(self._call("L2_WITHDRAWALS"))

    def is_claimed(self, nonce: int) -> bool:
        return bool(self._call("claimed", nonce))

    def escrow_balance(self) -> int:
        return int(self.client.w3.eth.get_balance(self.contract.address))

    def fund(self, sender: LocalAccount, amount: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.fund(), sender, amount)

    def prove_and_finalize(
        self, sender: LocalAccount, pack_id: int, withdrawal: Withdrawal, proof: WithdrawalProof
    ) -> TxReceipt:
        """Submit the proof; the portal pays ``withdrawal.l1_recipient``. Reverts surface as
        :class:`~agents.l1.client.TransactionReverted` with the portal's named error."""
        fn = self.contract.functions.proveAndFinalize(pack_id, withdrawal.as_abi(), proof.as_abi())
        receipt = self.client.transact(fn, sender)
        if not self.contract.events.WithdrawalFinalized().process_receipt(receipt, errors=DISCARD):
            raise L1Error("proveAndFinalize succeeded without a WithdrawalFinalized event")
        return receipt


def deploy_portal(
    client: L1Client, deployer: LocalAccount, rollup: str, predeploy: str = L2_WITHDRAWALS_ADDRESS
) -> WithdrawalPortalContract:
    """Deploy a ``WithdrawalPortal`` for ``rollup`` and the predeploy address."""
    contract = client.deploy(
        load_artifact("WithdrawalPortal"),
        deployer,
        to_checksum_address(rollup),
        to_checksum_address(predeploy),
    )
    return WithdrawalPortalContract(client, contract)
