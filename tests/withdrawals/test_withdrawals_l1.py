"""L2 -> L1 withdrawals and the flash layer's end of life, on a real anvil.

The L2 side is real: the ``L2Withdrawals`` predeploy runs in the Python EVM on a
MerkleStore (:mod:`agents.l2.sandbox`), whose per-transaction roots are posted as a pack
on a real ``Rollup`` (registries bootstrapped with
:func:`agents.l1.testing.bootstrap_active_rollup`, as the Rollup and challenger tests
do). The challenge window is 2 s of real L1 time; then the pack is finalized, the
withdrawal is proven and the recipient's L1 balance checked.
The end-of-life test runs :func:`agents.l1.lifecycle.end_rollup` (the verifier's final
pack supplied by the callback), checks Settled, and claims after the settlement, once
through the Python API and once through ``altrollup withdraw``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from agents.l1.artifacts import load_artifact
from agents.l1.client import L1Client, TransactionReverted
from agents.l1.deployments import Deployment, record_deployments
from agents.l1.lifecycle import (
    SETTLEMENT_NAME,
    LifecycleContracts,
    LifecycleError,
    RollupSettlementContract,
    deploy_rollup_settlement,
    deploy_withdrawal_contracts,
    end_rollup,
    portal_entry_name,
    rollup_entry_name,
)
from agents.l1.registries import RollupStatus, SettlementContracts
from agents.l1.rollup import (
    GameParams,
    RollupContract,
    RollupParams,
    Tier,
    build_pack,
    deploy_rollup,
)
from agents.l1.testing import bootstrap_active_rollup
from agents.l1.withdrawals import (
    Withdrawal,
    WithdrawalPortalContract,
    build_withdrawal_proof,
    deploy_portal,
    final_pack_for_block,
    withdrawals_from_logs,
)
from agents.l2.sandbox import Sandbox

pytestmark = pytest.mark.xdist_group("withdrawals")

ETHER = 10**18
WINDOW = 2  # seconds of real L1 time
ALTROLLUP = str(Path(sys.executable).with_name("altrollup"))


@dataclass
class World:
    client: L1Client
    owner: LocalAccount  # registry governance and the rollup's requester
    verifiers: list[LocalAccount]
    relayer: LocalAccount
    settlement: SettlementContracts
    rollup_id: int
    rollup: RollupContract
    portal: WithdrawalPortalContract
    l2: Sandbox
    l2_user_key: bytes
    posted_txs: int = 0


@pytest.fixture
def world(l1: L1Client, funded_keys: list[str], tmp_path: Path) -> Iterator[World]:
    """Fresh registries, an Active rollup, a Rollup with a 2 s window, a funded portal,
    and an L2 sandbox whose genesis root is the Rollup's genesis."""
    owner = Account.from_key(funded_keys[0])
    verifiers = [Account.from_key(k) for k in funded_keys[1:3]]
    active = bootstrap_active_rollup(
        l1,
        owner,
        verifiers,
        Account.from_key(funded_keys[9]),
        endpoint_port_base=9500,
        vrf_seed=b"withdrawal test validator",
    )
    user_key = bytes.fromhex(funded_keys[6][2:])
    l2 = Sandbox.create(
        tmp_path / "l2-state", active.chain_id, {Account.from_key(user_key).address: 50 * ETHER}
    )
    alphabet = l1.deploy(load_artifact("AlphabetVM"), owner)
    deployed = deploy_rollup(
        l1,
        owner,
        execution_layer_registry=active.settlement.execution_layer_registry.address,
        rollup_id=active.rollup_id,
        sequencer_registry=active.settlement.sequencer_registry.address,
        params=RollupParams(genesis_state_root=l2.genesis_root, challenge_window=WINDOW),
        game=GameParams(
            step_verifier=alphabet.address, trace_binding=alphabet.address, step_depth=4
        ),
        registry_owner=owner,
    )
    portal = deploy_portal(l1, owner, deployed.rollup.address)
    portal.fund(owner, 5 * ETHER)
    yield World(
        client=l1,
        owner=owner,
        verifiers=verifiers,
        relayer=Account.from_key(funded_keys[5]),
        settlement=active.settlement,
        rollup_id=active.rollup_id,
        rollup=deployed.rollup,
        portal=portal,
        l2=l2,
        l2_user_key=user_key,
    )
    l2.close()


def post_new_blocks(world: World) -> int:
    """Post the sandbox's transactions not posted yet as the next pack (one block each)."""
    roots = world.l2.roots[world.posted_txs :]
    head_id, head_root, last_block = world.rollup.head_state()
    pack = build_pack(head_id, last_block + 1, last_block + len(roots), roots, head_root)
    posted = world.rollup.post_pack(world.verifiers[0], pack, b"txs %d" % len(roots))
    world.posted_txs = len(world.l2.roots)
    return posted.pack_id


def wait_window(world: World, pack_id: int) -> None:
    """Sleep until the L1 clock passes the pack's challenge deadline."""
    deadline = world.rollup.pack(pack_id).challenge_deadline
    while int(world.client.w3.eth.get_block("latest")["timestamp"]) < deadline:
        time.sleep(0.25)
        world.client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def l2_withdraw(world: World, recipient: str, amount: int) -> tuple[Withdrawal, int]:
    """Run ``withdraw`` in the L2 EVM; returns the withdrawal and its L2 block."""
    result = world.l2.withdraw(world.l2_user_key, recipient, amount)
    assert result.success, result.error
    (withdrawal,) = withdrawals_from_logs(result.logs)
    return withdrawal, world.l2.block_number


def test_withdrawal_is_proven_against_a_tier3_root_and_paid(world: World) -> None:
    recipient = Account.create().address
    withdrawal, l2_block = l2_withdraw(world, recipient, 3 * ETHER // 2)
    assert withdrawal.nonce == 0 and withdrawal.amount == 3 * ETHER // 2
    world.l2.send(world.l2_user_key, recipient, 1)  # more state after the withdrawal
    pack_id = post_new_blocks(world)
    root = world.rollup.state_root_at(pack_id)
    proof = build_withdrawal_proof(world.l2.store, root, withdrawal)

    # Not final yet: the portal refuses, naming the tier.
    with pytest.raises(TransactionReverted) as refused:
        world.portal.prove_and_finalize(world.relayer, pack_id, withdrawal, proof)
    assert refused.value.reason.name == "PackNotFinal"
    with pytest.raises(Exception, match="not ROLLUP_FINAL"):
        final_pack_for_block(world.rollup, l2_block)

    wait_window(world, pack_id)
    assert world.rollup.finalize_ready(world.relayer) == [pack_id]
    assert final_pack_for_block(world.rollup, l2_block) == pack_id
    assert world.rollup.tier_of(pack_id) is Tier.ROLLUP_FINAL

    # A tampered amount is refused with the portal's named error.
    greedy = Withdrawal(withdrawal.nonce, withdrawal.l2_sender, recipient, withdrawal.amount + 1)
    with pytest.raises(TransactionReverted) as tampered:
        world.portal.prove_and_finalize(world.relayer, pack_id, greedy, proof)
    assert tampered.value.reason.name == "InvalidStorageProof"

    before = world.client.w3.eth.get_balance(recipient)
    receipt = world.portal.prove_and_finalize(world.relayer, pack_id, withdrawal, proof)
    assert world.client.w3.eth.get_balance(recipient) == before + withdrawal.amount
    assert world.portal.is_claimed(0)
    assert world.portal.escrow_balance() == 5 * ETHER - withdrawal.amount
    print(f"proveAndFinalize gas (anvil receipt): {receipt['gasUsed']}")
    assert receipt["gasUsed"] < 150_000

    with pytest.raises(TransactionReverted) as again:
        world.portal.prove_and_finalize(world.relayer, pack_id, withdrawal, proof)
    assert again.value.reason.name == "AlreadyClaimed"


def test_end_of_life_settles_and_withdrawals_still_pay(world: World, tmp_path: Path) -> None:
    recipient = Account.create().address
    first, _ = l2_withdraw(world, recipient, ETHER)
    early = post_new_blocks(world)
    wait_window(world, early)
    world.rollup.finalize_ready(world.relayer)

    # Last activity on L2 before the end: two more withdrawals, not posted yet.
    second, _ = l2_withdraw(world, recipient, ETHER // 4)
    third, _ = l2_withdraw(world, world.relayer.address, ETHER // 8)
    settlement = deploy_rollup_settlement(
        world.client, world.owner, world.settlement.execution_layer_registry
    )
    contracts = LifecycleContracts(
        world.settlement.execution_layer_registry, settlement, world.rollup
    )

    posted: list[int] = []

    def verifier_posts_final_pack(ended_at: int) -> int | None:
        """Stands in for the verifiers: they see Ending and post the final pack once."""
        if not posted:
            posted.append(post_new_blocks(world))
            return None  # seen on the next poll
        pack = world.rollup.pack(posted[0])
        assert pack.posted_at >= ended_at
        return posted[0]

    lines: list[str] = []
    started = time.monotonic()
    result = end_rollup(
        contracts,
        world.rollup_id,
        world.owner,
        sender=world.relayer,
        final_pack=verifier_posts_final_pack,
        progress=lines.append,
        poll_interval=0.25,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    print("\n".join(lines))
    print(f"end of life took {elapsed:.1f}s with a {WINDOW}s challenge window")
    assert lines[0].endswith("ACTIVE -> ENDING")
    assert any("final pack" in line and "posted" in line for line in lines)
    assert "SETTLED" in lines[-1]
    assert result.final_pack_id == posted[0]
    assert result.final_state_root == world.l2.store.state_root()
    assert world.settlement.execution_layer_registry.info(world.rollup_id).status is (
        RollupStatus.SETTLED
    )
    assert settlement.is_settled(world.rollup_id)

    # Running the flow again is a clear error, not a second settlement.
    with pytest.raises(LifecycleError, match="already settled"):
        end_rollup(contracts, world.rollup_id, world.owner, poll_interval=0.05, timeout=1)

    # After the end of life: the first withdrawal against the final pack.
    final_root = world.rollup.state_root_at(result.final_pack_id)
    assert final_root == result.final_state_root
    proof = build_withdrawal_proof(world.l2.store, final_root, first)
    before = world.client.w3.eth.get_balance(recipient)
    world.portal.prove_and_finalize(world.relayer, result.final_pack_id, first, proof)
    assert world.client.w3.eth.get_balance(recipient) == before + first.amount

    # The second through the command line, as a user would.
    deployments = tmp_path / "deployments.json"
    record_deployments(
        world.client.chain_id,
        {
            name: Deployment(name, address, 0)
            for name, address in {
                "ExecutionLayerRegistry": world.settlement.execution_layer_registry.address,
                SETTLEMENT_NAME: settlement.address,
                rollup_entry_name(world.rollup_id): world.rollup.address,
                portal_entry_name(world.rollup_id): world.portal.address,
            }.items()
        },
        deployments,
    )
    world.l2.store.flush()
    l1_url = world.client.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    common = ["--l1-rpc", l1_url, "--deployments", str(deployments), "--rollup-id"]
    common.append(str(world.rollup_id))
    withdraw = [
        ALTROLLUP,
        "withdraw",
        *common,
        "--state-store",
        str(tmp_path / "l2-state"),
        "--nonce",
        str(second.nonce),
        "--l2-sender",
        second.l2_sender,
        "--recipient",
        second.l1_recipient,
        "--key",
        world.relayer.key.hex(),
    ]
    before = world.client.w3.eth.get_balance(recipient)
    out = subprocess.run(
        [*withdraw, "--amount", str(second.amount)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert f"withdrawal {second.nonce}: paid {second.amount} wei" in out.stdout
    assert world.client.w3.eth.get_balance(recipient) == before + second.amount

    # Bad input is one line, no traceback: a wrong amount, a repeated claim, a settled rollup.
    wrong = subprocess.run(
        [*withdraw[:-6], "--nonce", str(third.nonce), "--l2-sender", third.l2_sender,
         "--recipient", third.l1_recipient, "--key", world.relayer.key.hex(),
         "--amount", str(third.amount + 1)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("error: withdrawal 2 is recorded with another hash")
    repeated = subprocess.run(
        [*withdraw, "--amount", str(second.amount)], capture_output=True, text=True, timeout=120
    )
    assert repeated.returncode == 1
    assert repeated.stderr.strip() == f"error: withdrawal {second.nonce} was already claimed"
    ended = subprocess.run(
        [ALTROLLUP, "rollup", "end", *common, "--key", world.owner.key.hex()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ended.returncode == 1
    assert ended.stderr.strip() == f"error: rollup {world.rollup_id} is already settled"
    assert "Traceback" not in wrong.stderr + repeated.stderr + ended.stderr


def test_settlement_binding_and_settler_errors_are_named(world: World) -> None:
    settlement_contract = world.client.deploy(
        load_artifact("RollupSettlement"),
        world.owner,
        world.settlement.execution_layer_registry.address,
    )
    settlement = RollupSettlementContract(world.client, settlement_contract)
    with pytest.raises(TransactionReverted) as stranger:
        settlement.bind_rollup(world.relayer, world.rollup_id, world.rollup.address)
    assert stranger.value.reason.name == "NotRequesterOrOwner"
    with pytest.raises(TransactionReverted) as unbound:
        settlement.settle(world.relayer, world.rollup_id)
    assert unbound.value.reason.name == "RollupNotBound"
    settlement.bind_rollup(world.owner, world.rollup_id, world.rollup.address)
    with pytest.raises(TransactionReverted) as active:
        settlement.settle(world.relayer, world.rollup_id)
    assert active.value.reason.name == "NotEnding"


def test_rollup_end_command_waits_for_the_final_pack_and_settles(
    world: World, tmp_path: Path
) -> None:
    """``altrollup rollup end`` as a user runs it, while a verifier posts the final pack."""
    l2_withdraw(world, world.relayer.address, ETHER // 2)
    registry = world.settlement.execution_layer_registry
    entries = deploy_withdrawal_contracts(
        world.client, world.owner, registry, world.rollup_id, world.rollup.address
    )
    entries["ExecutionLayerRegistry"] = Deployment("ExecutionLayerRegistry", registry.address, 0)
    deployments = tmp_path / "deployments.json"
    record_deployments(world.client.chain_id, entries, deployments)
    settlement = RollupSettlementContract.at(world.client, entries[SETTLEMENT_NAME].address)
    assert settlement.rollup_of(world.rollup_id) == world.rollup.address
    l1_url = world.client.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    command = [
        ALTROLLUP, "rollup", "end", "--l1-rpc", l1_url, "--deployments", str(deployments),
        "--rollup-id", str(world.rollup_id), "--key", world.owner.key.hex(),
        "--poll-interval", "0.2", "--timeout", "60",
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        deadline = time.monotonic() + 30
        while registry.info(world.rollup_id).status is not RollupStatus.ENDING:
            assert p.poll() is None, p.stderr.read() if p.stderr else ""
            assert time.monotonic() < deadline, "the command did not end the rollup"
            time.sleep(0.1)
        final = post_new_blocks(world)  # the verifier's final pack
        stdout, stderr = p.communicate(timeout=60)
    assert p.returncode == 0, stderr
    lines = stdout.splitlines()
    print(stdout)
    assert lines[0].endswith(f"rollup {world.rollup_id} ending: ACTIVE -> ENDING")
    assert any(f"final pack {final} posted" in line for line in lines)
    assert f"SETTLED: final pack {final}" in lines[-1]
    assert registry.info(world.rollup_id).status is RollupStatus.SETTLED
    assert settlement.settlement_of(world.rollup_id).final_state_root == world.l2.roots[-1]
