"""The L1Bridge on anvil read by :class:`agents.verifier.l1_inbox.L1Inbox`, and the inbox
rules enforced while following blocks: a block that censors a due, executable forced
transaction is faulty; the same block carrying it is verified; a block at which a deposit
is due but not credited is faulty."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from verifier_env import ChainEnv, L2Chain, LogLines, advance, genesis_for, transfer

from agents.evm.store import MerkleStore
from agents.l1.client import TransactionReverted
from agents.producer.blocks import execute_block, next_block_context
from agents.rpc.jsonlog import JsonLog
from agents.rpc.metrics import Metrics
from agents.verifier.follower import Follower, RpcBlockSource
from agents.verifier.inbox_check import inbox_extra_check
from agents.verifier.l1_inbox import deploy_bridge
from agents.verifier.store import open_store

pytestmark = pytest.mark.xdist_group("verifier")


def test_forced_inclusion_and_deposits_are_enforced(
    chain: ChainEnv, l2: L2Chain, tmp_path: Path
) -> None:
    client = chain.client
    inbox = deploy_bridge(
        client, chain.owner, l2_chain_id=l2.chain_id,
        deposit_confirmation_delay=5, forced_inclusion_delay=10,
    )  # fmt: skip
    user = Account.from_key(chain.keys[6])
    config = inbox.config()
    assert (config.l2_chain_id, config.forced_inclusion_delay) == (l2.chain_id, 10)
    with pytest.raises(TransactionReverted, match="ForcedTransactionTooLarge"):
        inbox.submit_forced(user, bytes(config.max_forced_tx_bytes + 1))
    with pytest.raises(TransactionReverted, match="DepositTooSmall"):
        inbox.deposit(user, user.address, 1)

    forced_raw = transfer(l2.chain_id, l2.nonce)  # the user's next L2 transaction
    assert inbox.submit_forced(user, forced_raw) == 0
    advance(client, 8)
    recipient = "0x" + "44" * 20
    assert inbox.deposit(user, recipient, 10**15) == 0
    advance(client, 3)
    inbox.refresh()
    (forced,) = inbox.forced()
    (deposit,) = inbox.deposits()
    assert forced.raw == forced_raw and forced.due_by == forced.l1_timestamp + 10
    assert deposit.recipient.lower() == recipient and deposit.amount == 10**15
    assert deposit.creditable_at == deposit.l1_timestamp + 5
    s = forced.l1_timestamp
    assert deposit.creditable_at > s + 10  # due after the forced transaction's block

    # the chain: block 1 before anything is due, block 2 at the forced tx's deadline
    block1 = l2.add_block(0, timestamp_ms=(s + 2) * 1000)
    honest2 = l2.add_block(0, timestamp_ms=(s + 10) * 1000, raw=[forced_raw])
    context = next_block_context(block1, l2.config, (s + 10) * 1000, b"\xaa" * 20)
    censored2 = execute_block(l2.store.at_root(block1.state_root), block1, [], context).block
    l2.served[2] = censored2

    store = open_store(tmp_path / "v")
    lines = LogLines()
    follower = Follower(
        store,
        MerkleStore(tmp_path / "v" / "state"),
        genesis_for(l2.chain_id).chain_config(l2.chain_id),
        genesis_for(l2.chain_id),
        JsonLog("verifier", stream=lines),  # type: ignore[arg-type]
        Metrics(),
    )
    follower.extra_check = inbox_extra_check(inbox, follower)
    follower.resume()
    assert l2.server is not None
    source = RpcBlockSource.connect(l2.server.url)
    assert follower.step(source) == 1  # block 1 verified, block 2 refused
    faulty = store.first_faulty()
    assert faulty is not None and faulty.number == 2
    assert "forced-missing #0" in faulty.detail and "executable but missing" in faulty.detail

    del l2.served[2]  # the producer serves the block that carries the forced transaction
    assert follower.step(source) == 1
    assert store.last_verified().hash == honest2.hash  # type: ignore[union-attr]

    l2.add_block(0, timestamp_ms=(deposit.creditable_at + 1) * 1000)
    assert follower.step(source) == 0
    faulty = store.first_faulty()
    assert faulty is not None and faulty.number == 3
    assert "deposit-missing #0" in faulty.detail
