"""Block format, codec and execute_block / reexecute_block (pure, in-process)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from eth_account import Account

from agents.dispute import merkle
from agents.evm.store import MerkleStore
from agents.producer.blocks import (
    Block,
    BlockFormatError,
    ChainConfig,
    execute_block,
    next_base_fee,
    next_block_context,
    reexecute_block,
)
from agents.producer.finality.messages import block_hash
from agents.producer.genesis import apply_genesis, dev_genesis, parse_genesis

CHAIN_ID = 4242
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
SENDER = Account.from_key(KEY).address


def transfer(nonce: int, value: int = 1, to: str = "0x" + "11" * 20, gas: int = 21_000) -> bytes:
    tx = {"type": 2, "chainId": CHAIN_ID, "nonce": nonce, "to": to, "value": value, "gas": gas,
          "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}  # fmt: skip
    return bytes(Account.sign_transaction(tx, KEY).raw_transaction)


@pytest.fixture
def chain(tmp_path: Path) -> tuple[MerkleStore, Block, ChainConfig]:
    genesis = parse_genesis(dev_genesis(CHAIN_ID))
    store = MerkleStore(tmp_path / "state")
    block0 = apply_genesis(store, genesis)
    return store, block0, genesis.chain_config(CHAIN_ID)


def test_execute_block_roots_hash_and_codec(chain: tuple[MerkleStore, Block, ChainConfig]) -> None:
    store, parent, config = chain
    context = next_block_context(parent, config, 5_000, b"\xaa" * 20)
    txs = [transfer(1, 2), transfer(0), transfer(5), transfer(0), b"\x02garbage"]
    executed = execute_block(store, parent, txs, context)
    block = executed.block
    assert block.number == 1 and block.parent_hash == parent.hash
    # nonce 1 came first: it is included in a second pass, after nonce 0
    assert block.transactions == (txs[1], txs[0])
    assert [(r.index, r.nonce) for r in executed.receipts] == [(0, 0), (1, 1)]
    assert [(s.position, s.reason, s.retry) for s in executed.skipped] == [
        (2, "nonce_too_high", True),
        (3, "duplicate", False),
        (4, "transaction_decoding", False),
    ]
    # per-tx roots: the pack commitment and the final root
    assert block.tx_state_roots == tuple(r.state_root for r in executed.receipts)
    assert block.state_root == block.tx_state_roots[-1] == store.state_root()
    assert block.tx_roots_commitment == merkle.commitment(block.tx_state_roots)
    assert block.hash == block_hash(block.parent_hash, 1, block.body_root)
    assert block.gas_used == 42_000 and executed.receipts[1].cumulative_gas_used == 42_000
    assert Block.decode(block.encode()) == block
    assert Block.from_json(block.to_json()) == block
    assert block.finality_block().hash == block.hash
    assert next_base_fee(block, config) < block.base_fee  # below the gas target


def test_reexecution_matches_and_detects_tampering(
    chain: tuple[MerkleStore, Block, ChainConfig], tmp_path: Path
) -> None:
    store, parent, config = chain
    context = next_block_context(parent, config, 5_000, b"\xaa" * 20)
    block = execute_block(store, parent, [transfer(0), transfer(1)], context).block

    def fresh() -> MerkleStore:
        other = MerkleStore(tmp_path / f"verifier{len(list(tmp_path.iterdir()))}")
        apply_genesis(other, parse_genesis(dev_genesis(CHAIN_ID)))
        return other

    ok = reexecute_block(fresh(), parent, block, config, lambda n: parent.hash)
    assert ok.ok and ok.mismatches == ()
    bad_root = dataclasses.replace(block, tx_state_roots=(b"\x01" * 32, block.tx_state_roots[1]))
    result = reexecute_block(fresh(), parent, bad_root, config, lambda n: parent.hash)
    assert not result.ok and "state root after transaction 0" in result.mismatches[0]
    invalid = dataclasses.replace(
        block, transactions=(transfer(0), transfer(7)), tx_state_roots=block.tx_state_roots
    )
    result = reexecute_block(fresh(), parent, invalid, config, lambda n: parent.hash)
    assert any("nonce_too_high" in m for m in result.mismatches)


def test_block_codec_rejects_malformed() -> None:
    with pytest.raises(BlockFormatError, match="expected a list of 14"):
        Block.decode(b"\xc0")
    with pytest.raises(BlockFormatError, match="block rlp"):
        Block.decode(b"\xff")
    with pytest.raises(BlockFormatError, match="parentHash"):
        Block.from_json({"number": "0x1"})


def test_reversed_nonces_are_included_in_order(
    chain: tuple[MerkleStore, Block, ChainConfig],
) -> None:
    store, parent, config = chain
    context = next_block_context(parent, config, 5_000, b"\xaa" * 20)
    txs = [transfer(n) for n in reversed(range(40))]
    executed = execute_block(store, parent, txs, context)
    assert [r.nonce for r in executed.receipts] == list(range(40))
    assert executed.skipped == ()
    assert executed.block.transactions == tuple(reversed(txs))
