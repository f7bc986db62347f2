"""An in-process L2 for tests, vectors and examples: real state, real EVM, no node.

:class:`Sandbox` writes a genesis allocation (funded accounts plus the predeploys of
:mod:`agents.l2.predeploys`, through the producer's own genesis parser) into a
:class:`~agents.evm.store.MerkleStore`, then executes signed EIP-1559 transactions one
by one with :func:`agents.evm.processing.apply_transaction`, each in its own block. The
roots it returns are the rollup's real state roots (the keccak sparse Merkle tree of
``docs/commitment.md``), so they can be posted in packs on a real ``Rollup`` and proven
against on L1. It is not the producer: no ordering, no block format, no persistence of
blocks; a test that needs those runs the producer itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from agents.evm.processing import TxResult, apply_transaction
from agents.evm.store import MerkleStore
from agents.evm.transactions import Transaction, address_of_key, sign_transaction
from agents.evm.vm import BlockEnv
from agents.l1.artifacts import ARTIFACTS_DIR
from agents.l2.predeploys import L2_WITHDRAWALS_ADDRESS, genesis_alloc
from agents.producer.genesis import apply_genesis, parse_genesis

DEFAULT_BASE_FEE = 1_000_000_000
DEFAULT_GAS_LIMIT = 30_000_000


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def withdraw_calldata(l1_recipient: str) -> bytes:
    """Calldata of ``L2Withdrawals.withdraw(l1Recipient)``."""
    return _selector("withdraw(address)") + abi_encode(
        ["address"], [to_checksum_address(l1_recipient)]
    )


@dataclass
class Sandbox:
    """A MerkleStore-backed L2 state with the predeploys, advanced one transaction per block."""

    store: MerkleStore
    chain_id: int
    genesis_root: bytes
    base_fee: int = DEFAULT_BASE_FEE
    block_number: int = 0
    timestamp: int = 1_700_000_000
    nonces: dict[bytes, int] = field(default_factory=dict)
    roots: list[bytes] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        path: str | Path,
        chain_id: int,
        funded: dict[str, int],
        artifacts: Path = ARTIFACTS_DIR,
    ) -> Sandbox:
        """A fresh store at ``path`` (must be empty) holding the genesis allocation."""
        store = MerkleStore(path)
        genesis = parse_genesis({"chainId": chain_id, "alloc": genesis_alloc(funded, artifacts)})
        block0 = apply_genesis(store, genesis)
        store.flush()
        return cls(store=store, chain_id=chain_id, genesis_root=block0.state_root)

    def send(
        self, private_key: bytes, to: str, value: int = 0, data: bytes = b"", gas: int = 200_000
    ) -> TxResult:
        """Sign and execute one transaction in a new block; returns the EVM's result
        (``result.state_root`` is the state root after it)."""
        sender = address_of_key(private_key)
        nonce = self.nonces.get(sender, 0)
        tx = sign_transaction(
            Transaction(
                tx_type=2,
                chain_id=self.chain_id,
                nonce=nonce,
                gas_limit=gas,
                to=bytes.fromhex(to_checksum_address(to)[2:]),
                value=value,
                data=data,
                max_priority_fee_per_gas=1,
                max_fee_per_gas=2 * self.base_fee,
            ),
            private_key,
        )
        self.block_number += 1
        self.timestamp += 1
        env = BlockEnv(
            number=self.block_number,
            timestamp=self.timestamp,
            gas_limit=DEFAULT_GAS_LIMIT,
            base_fee=self.base_fee,
            chain_id=self.chain_id,
        )
        result = apply_transaction(self.store, env, tx, sender)
        self.nonces[sender] = nonce + 1
        self.roots.append(result.state_root)
        return result

    def withdraw(self, private_key: bytes, l1_recipient: str, amount: int) -> TxResult:
        """``L2Withdrawals.withdraw(l1_recipient)`` with ``amount`` wei."""
        return self.send(
            private_key, L2_WITHDRAWALS_ADDRESS, amount, withdraw_calldata(l1_recipient)
        )

    def balance(self, address: str) -> int:
        account = self.store.get_account(bytes.fromhex(to_checksum_address(address)[2:]))
        return 0 if account is None else account.balance

    def close(self) -> None:
        self.store.close()
