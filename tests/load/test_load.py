"""``altrollup load`` against a real anvil standing in for the rollup RPC: every
scenario deploys, funds, sends and is confirmed with its on-chain effect; reverts,
rejections and bad input are reported; the fast signer matches eth-account."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from agents.l1.anvil import AnvilProcess
from agents.l1.artifacts import load_artifact
from agents.load.chain import Chain, LoadError
from agents.load.report import percentile
from agents.load.runner import DEFAULT_KEY, LoadConfig, run_load
from agents.load.scenarios import SCENARIOS, RunShape, deploy_artifact
from agents.load.signing import Signer, UnsignedTx, derive_key, parse_private_key
from agents.producer.genesis import dev_genesis, parse_genesis
from agents.producer.node import NodeConfig, ProducerNode
from agents.rpc.client import JsonRpcClient

ALTROLLUP = str(Path(sys.executable).with_name("altrollup"))
L2_CHAIN_ID = 900_001


def altrollup(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALTROLLUP, *args], capture_output=True, text=True, timeout=120)


def w3_of(anvil: AnvilProcess) -> Web3:
    return Web3(HTTPProvider(anvil.url))


def contract_of(w3: Web3, name: str, address: str):  # type: ignore[no-untyped-def]
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name).abi)


# -- pure -------------------------------------------------------------------------------


@pytest.mark.parametrize("to", [bytes.fromhex("22" * 20), None])
def test_signer_matches_eth_account(to: bytes | None) -> None:
    key = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
    tx = UnsignedTx(900001, 7, 10**9, 3 * 10**9, 150_000, to, 12345, b"\x01\x02\x00\xff")
    ours = Signer(key).sign(tx)
    fields = {
        "chainId": tx.chain_id,
        "nonce": tx.nonce,
        "maxPriorityFeePerGas": tx.max_priority_fee_per_gas,
        "maxFeePerGas": tx.max_fee_per_gas,
        "gas": tx.gas,
        "value": tx.value,
        "data": tx.data,
        "type": 2,
    }
    if to is not None:
        fields["to"] = Web3.to_checksum_address(to)
    theirs = Account.sign_transaction(fields, key)
    assert ours.raw == bytes(theirs.raw_transaction)
    assert ours.tx_hash == bytes(theirs.hash)
    assert Signer(key).address == Account.from_key(key).address


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([], 0.5) != percentile([], 0.5)  # NaN


def test_keys_and_config_are_checked() -> None:
    assert len(parse_private_key(DEFAULT_KEY)) == 32
    for bad in ("0x12", "zz" * 32, "0x" + "00" * 32):
        with pytest.raises(ValueError):
            parse_private_key(bad)
    assert derive_key(b"k", 0) != derive_key(b"k", 1)
    for config, message in [
        (LoadConfig("http://x", "nope", 1, 1), "unknown scenario"),
        (LoadConfig("http://x", "game", 1, 1, accounts=3), "even --accounts"),
        (LoadConfig("http://x", "game", 1, 1, accounts=1), "at least 2"),
        (LoadConfig("http://x", "erc20", 0.1, 1), "less than one transaction"),
        (LoadConfig("http://x", "erc20", -1, 1), "--tps"),
    ]:
        with pytest.raises(LoadError, match=message):
            config.check()


def test_game_plan_pairs_commits_before_reveals() -> None:
    senders = [Signer(derive_key(b"s", i)).address for i in range(4)]
    calls = SCENARIOS["game"].plan(RunShape(count=10, accounts=4), senders, b"tag")
    assert len(calls) == 16  # rounded up to whole matches: 2 rounds x 2 pairs x 4
    commit = calls[0].data[:4]
    reveal = calls[4].data[:4]
    assert [c.data[:4] for c in calls[:8]] == [commit] * 4 + [reveal] * 4
    assert [c.sender for c in calls[:8]] == [0, 1, 2, 3, 0, 1, 2, 3]


# -- against anvil ----------------------------------------------------------------------


def test_nft_mint_run_mints_every_token(anvil: AnvilProcess) -> None:
    report = run_load(LoadConfig(anvil.url, "nft-mint", tps=100, duration=0.5, accounts=4))
    assert report.planned == 50 and report.sent == 50
    assert report.succeeded == 50 and report.failed == 0
    assert len(report.latencies) == 50 and all(lat > 0 for lat in report.latencies)
    assert report.achieved_tps > 0 and report.first_block <= report.last_block
    nft = contract_of(w3_of(anvil), "FlashMint", report.contract)
    assert nft.functions.totalMinted().call() == 50
    summary = report.summary()
    assert "p50" in summary and "p99" in summary and "failed       0" in summary


def test_ticketing_run_sells_both_tiers(anvil: AnvilProcess) -> None:
    report = run_load(LoadConfig(anvil.url, "ticketing", tps=100, duration=0.3, accounts=3))
    assert report.succeeded == 30 and report.failed == 0
    tickets = contract_of(w3_of(anvil), "EventTickets", report.contract)
    assert tickets.functions.ticketsIssued().call() == 30
    assert tickets.functions.tierInfo(0).call()[2] == 15
    assert tickets.functions.tierInfo(1).call()[2] == 15
    assert w3_of(anvil).eth.get_balance(tickets.address) == 15 * 10**12 + 15 * 2 * 10**12


def test_game_run_settles_every_match(anvil: AnvilProcess) -> None:
    report = run_load(LoadConfig(anvil.url, "game", tps=100, duration=0.3, accounts=4))
    assert report.planned == 32 and report.succeeded == 32 and report.failed == 0
    game = contract_of(w3_of(anvil), "RockPaperScissors", report.contract)
    assert game.functions.matchesSettled().call() == 8


def test_erc20_run_moves_tokens(anvil: AnvilProcess) -> None:
    report = run_load(LoadConfig(anvil.url, "erc20", tps=100, duration=0.2, accounts=2))
    assert report.succeeded == 20 and report.failed == 0
    token = contract_of(w3_of(anvil), "DevnetToken", report.contract)
    sender = Signer(derive_key(parse_private_key(DEFAULT_KEY), 0)).address
    assert token.functions.balanceOf(sender).call() == 10**24  # sent 10, received 10


def test_reverts_are_counted(anvil: AnvilProcess) -> None:
    """A reused mint with 5 tokens left: 5 mints succeed, the other 15 revert (SoldOut)."""
    chain = Chain(anvil.url)
    funder = Signer(parse_private_key(DEFAULT_KEY))
    small = deploy_artifact(
        chain,
        funder,
        chain.fees(),
        "FlashMint",
        ["string", "string", "string", "uint256", "uint256", "uint256", "address"],
        ["small", "S", "", 5, 100, 0, funder.address],
    )
    report = run_load(
        LoadConfig(anvil.url, "nft-mint", tps=100, duration=0.2, accounts=2, contract=small)
    )
    assert report.succeeded == 5 and report.reverted == 15 and report.failed == 15
    assert "reverted 15" in report.summary()


def test_rejections_are_counted() -> None:
    """A node whose block gas limit is below the mint's gas cap refuses every mint."""
    with AnvilProcess() as node:
        chain = Chain(node.url)
        funder = Signer(parse_private_key(DEFAULT_KEY))
        nft = SCENARIOS["nft-mint"].deploy(chain, funder, chain.fees(), RunShape(10, 2))
        chain.call("anvil_setBlockGasLimit", hex(150_000))
        report = run_load(
            LoadConfig(
                node.url, "nft-mint", tps=100, duration=0.1, accounts=2, contract=nft,
                receipt_timeout=1.0,
            )
        )  # fmt: skip
    assert report.rejected == 10 and report.sent == 0 and report.failed == 10
    ((reason, count),) = report.rejection_reasons.items()
    assert count == 10 and "gas" in reason.lower()
    assert "rejected 10" in report.summary()


def test_cli_prints_report_and_errors(anvil: AnvilProcess) -> None:
    out = altrollup(
        "load", "--rpc", anvil.url, "--scenario", "nft-mint", "--tps", "50",
        "--duration", "0.4", "--accounts", "2", "--no-progress",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "achieved" in out.stdout and "latency" in out.stdout
    assert "failed       0" in out.stdout
    as_json = altrollup(
        "load", "--rpc", anvil.url, "--scenario", "erc20", "--tps", "50",
        "--duration", "0.2", "--accounts", "2", "--no-progress", "--json",
    )  # fmt: skip
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["succeeded"] == 10 and report["failed"] == 0 and report["planned"] == 10
    assert (
        0 < report["latencyMs"]["p50"] <= report["latencyMs"]["p99"] <= report["latencyMs"]["max"]
    )

    unreachable = altrollup(
        "load", "--rpc", "http://127.0.0.1:1", "--scenario", "erc20", "--tps", "5"
    )
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("error: cannot reach the RPC")
    assert "Traceback" not in unreachable.stderr

    unfunded = altrollup(
        "load",
        "--rpc",
        anvil.url,
        "--scenario",
        "nft-mint",
        "--tps",
        "5",
        "--key",
        "0x" + "07" * 32,
    )
    assert unfunded.returncode == 1
    assert "error: the funding key" in unfunded.stderr and "holds 0.0000 ETH" in unfunded.stderr

    bad = altrollup("load", "--rpc", anvil.url, "--scenario", "poker", "--tps", "5")
    assert bad.returncode == 2 and "'poker' is not one of" in bad.stderr

    bad_key = altrollup(
        "load", "--rpc", anvil.url, "--scenario", "erc20", "--tps", "5", "--key", "0x1"
    )
    assert bad_key.returncode == 1 and "--key" in bad_key.stderr
    assert "Traceback" not in bad_key.stderr + bad.stderr + unfunded.stderr


def test_node_dying_mid_run_is_reported_not_raised() -> None:
    """The node goes away while transactions are being sent: the run ends with the
    lost transactions counted, the failed requests named, and no exception."""
    node = AnvilProcess().start()
    try:

        def on_progress(line: str) -> None:
            if line.startswith("deployed"):
                threading.Timer(0.3, node.stop).start()

        report = run_load(
            LoadConfig(node.url, "nft-mint", tps=50, duration=1.5, accounts=2, receipt_timeout=1.0),
            say=on_progress,
        )
    finally:
        node.stop()
    assert report.planned == 75
    assert report.succeeded < 75 and report.unconfirmed + report.rejected > 0
    assert report.send_failures > 0 and report.rpc_errors > 0
    assert any("send request failed" in reason for reason in report.rejection_reasons)
    assert report.failed == 75 - report.succeeded


def test_through_aggregators_into_the_producer(tmp_path: Path) -> None:
    """The full path: transactions to two aggregators (each sender sticks to one),
    sequenced and forwarded to the real producer node, which the run follows."""
    node = ProducerNode(
        NodeConfig(
            state_dir=tmp_path / "producer",
            chain_id=L2_CHAIN_ID,
            genesis=parse_genesis(dev_genesis()),
            block_time_ms=100,
            log_enabled=False,
        )
    )
    node.start()
    aggregators: list[subprocess.Popen[str]] = []
    try:
        urls = []
        for name in ("agg-a", "agg-b"):
            process = subprocess.Popen(
                [ALTROLLUP, "aggregator", "--id", name, "--db", str(tmp_path / f"{name}.sqlite"),
                 "--chain-id", str(L2_CHAIN_ID), "--port", "0", "--producer", node.url,
                 "--heartbeat-ms", "100", "--quiet"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            aggregators.append(process)
            assert process.stdout is not None
            urls.append(json.loads(process.stdout.readline())["listening"])
        report = run_load(
            LoadConfig(node.url, "erc20", tps=60, duration=0.5, accounts=4, send_rpcs=tuple(urls))
        )
        assert report.succeeded == 30 and report.failed == 0, report.summary()
        assert "sent via" in report.summary()
        status = JsonRpcClient(node.url).call("altrollup_intakeStatus")
        seen = {a["aggregatorId"] for a in status["aggregators"]}
        assert {"agg-a", "agg-b"} <= seen, status

        with pytest.raises(LoadError, match="serves chain 31337"):
            with AnvilProcess() as other_chain:
                run_load(LoadConfig(node.url, "erc20", 10, 0.1, send_rpcs=(other_chain.url,)))
    finally:
        for process in aggregators:
            process.terminate()
            process.wait(timeout=10)
        node.stop()
