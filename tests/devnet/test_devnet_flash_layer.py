"""A flash layer's whole life on the devnet, as a user drives it (issue 6's "done when").

``altrollup devnet --faulty-verifier 3`` starts every role as its own process; NFTs are
minted through the rollup RPC with ``altrollup load``; the faulty verifier's wrong pack is
rejected by the honest verifier, disputed by the challenger, lost on-chain (the liar is
slashed), invalidated, and the rollup head reverts and continues with the honest pack;
``altrollup rollup end`` ends the flash layer (final pack, tier 3, Settled) while a user
withdraws on L2; ``altrollup withdraw`` claims the ETH on L1 after the end of life.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from agents.dispute.game import GamePhase, read_game
from agents.l1.anvil import funded_private_keys
from agents.l1.artifacts import load_artifact
from agents.l1.client import L1Client
from agents.l1.registries import ETH, RollupStatus
from agents.l1.rollup import RollupContract, Tier
from agents.l2.predeploys import L2_WITHDRAWALS_ADDRESS

ALTROLLUP = str(Path(sys.executable).with_name("altrollup"))
LIE_AT_TX = 3

pytestmark = pytest.mark.xdist_group("devnet")


def wait_for(condition: object, seconds: float, what: str, logs: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.5)
    tails = "\n".join(
        f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-8:])
        for path in sorted(logs.glob("*.log"))
    )
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


def run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALTROLLUP, *args], capture_output=True, text=True, timeout=timeout)


def test_flash_layer_life_with_a_faulty_verifier(tmp_path: Path) -> None:
    state = tmp_path / "state"
    logs = state / "logs"
    devnet = subprocess.Popen(
        [
            ALTROLLUP,
            "devnet",
            "--state-dir",
            str(state),
            "--l1-port",
            "0",
            "--base-port",
            "0",
            "--challenge-window",
            "15",
            "--dispute-clock",
            "8",
            "--faulty-verifier",
            str(LIE_AT_TX),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert devnet.stdout is not None
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = devnet.stdout.readline()
            lines.append(line)
            if "devnet running" in line or not line:
                break
        output = "".join(lines)
        assert "devnet running" in output, output
        assert f"will lie from L2 transaction {LIE_AT_TX}" in output
        l1_url = next(
            line.split(" L1           ")[1].split()[0] for line in lines if " L1  " in line
        )
        rpc = next(line.split()[2] for line in lines if "  RPC URL  " in line)
        deployments = state / "deployments.json"
        entries = json.loads(deployments.read_text())["31337"]
        l1 = L1Client.connect(l1_url)
        rollup = RollupContract.at(l1, entries["Rollup:1"]["address"])
        game = l1.contract(load_artifact("DisputeGame"), entries["DisputeGame:1"]["address"])
        registry = l1.contract(
            load_artifact("SequencerRegistry"), entries["SequencerRegistry"]["address"]
        )
        keys = funded_private_keys(10)
        liar = Account.from_key(keys[5]).address  # the last ETH-staked operator
        liar_stake = registry.functions.activeStake(liar, ETH).call()

        # NFT mints through the rollup RPC.
        minted = run(
            "load",
            "--rpc",
            rpc,
            "--scenario",
            "nft-mint",
            "--tps",
            "10",
            "--duration",
            "2",
            "--accounts",
            "2",
            "--no-progress",
            "--json",
        )
        assert minted.returncode == 0, minted.stderr
        report = json.loads(minted.stdout.strip().splitlines()[-1])
        assert report["succeeded"] == report["sent"] > 0, report
        assert report["failed"] == 0, report

        # The lie is posted, disputed, lost on-chain; the rollup reverts and goes on.
        wait_for(lambda: game.functions.gameCount().call() >= 1, 90, "a dispute game", logs)
        wait_for(
            lambda: read_game(game, 1).phase is GamePhase.CHALLENGER_WON,
            90,
            "the challenger to win",
            logs,
        )
        lying_pack = read_game(game, 1).claim_id
        pack_id = int.from_bytes(lying_pack, "big")
        wait_for(lambda: rollup.tier_of(pack_id) is Tier.INVALID, 60, "invalidation", logs)
        assert registry.functions.activeStake(liar, ETH).call() < liar_stake, "liar not slashed"
        last_mint_block = report["blocks"][1]
        wait_for(
            lambda: rollup.head() != 0 and rollup.pack(rollup.head()).last_block >= last_mint_block,
            90,
            "the honest pack over the mints",
            logs,
        )
        assert rollup.is_valid(rollup.head())

        # End of life while a user withdraws on L2; then claim on L1.
        ender = subprocess.Popen(
            [
                ALTROLLUP,
                "rollup",
                "end",
                "--l1-rpc",
                l1_url,
                "--deployments",
                str(deployments),
                "--rollup-id",
                "1",
                "--key",
                keys[0],
                "--poll-interval",
                "0.5",
                "--timeout",
                "240",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        registry_elr = l1.contract(
            load_artifact("ExecutionLayerRegistry"), entries["ExecutionLayerRegistry"]["address"]
        )
        wait_for(
            lambda: RollupStatus(registry_elr.functions.statusOf(1).call()) is RollupStatus.ENDING,
            60,
            "the rollup to be Ending",
            logs,
        )
        w3 = Web3(Web3.HTTPProvider(rpc))
        user = Account.from_key(keys[6])
        recipient = Web3.to_checksum_address("0x00000000000000000000000000000000000a11ce")
        withdrawals = w3.eth.contract(
            address=Web3.to_checksum_address(L2_WITHDRAWALS_ADDRESS),
            abi=load_artifact("L2Withdrawals").abi,
        )
        tx = withdrawals.functions.withdraw(recipient).build_transaction(
            {
                "from": user.address,
                "value": 2 * 10**18,
                "nonce": w3.eth.get_transaction_count(user.address),
                "gas": 200_000,
                "maxFeePerGas": 2 * 10**9,
                "maxPriorityFeePerGas": 1,
                "chainId": w3.eth.chain_id,
            }
        )
        signed = user.sign_transaction(tx)
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(signed.raw_transaction), timeout=60
        )
        assert receipt["status"] == 1
        ended = ender.communicate(timeout=240)[0]
        assert ender.returncode == 0, ended
        assert RollupStatus(registry_elr.functions.statusOf(1).call()) is RollupStatus.SETTLED

        before = l1.w3.eth.get_balance(recipient)
        claimed = run(
            "withdraw",
            "--l1-rpc",
            l1_url,
            "--deployments",
            str(deployments),
            "--rollup-id",
            "1",
            "--nonce",
            "0",
            "--l2-rpc",
            rpc,
            "--key",
            keys[7],
        )
        assert claimed.returncode == 0, claimed.stdout + claimed.stderr
        assert l1.w3.eth.get_balance(recipient) - before == 2 * 10**18
    finally:
        devnet.send_signal(signal.SIGINT)
        devnet.wait(timeout=60)
