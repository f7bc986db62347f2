"""cast and ape (as a custom network) talking to the rollup's JSON-RPC."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from node_helpers import CHAIN_ID, DEV_ADDRESSES, DEV_KEYS, NodeProcess
from web3 import Web3

CAST = str(Path(sys.executable).with_name("cast"))


def cast(*args: str) -> str:
    env = dict(os.environ, FOUNDRY_DISABLE_NIGHTLY_WARNING="1")
    result = subprocess.run([CAST, *args], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_cast_block_number_balance_send(node: NodeProcess) -> None:
    w3 = Web3(Web3.HTTPProvider(node.url))
    assert cast("chain-id", "--rpc-url", node.url) == str(CHAIN_ID)
    assert int(cast("block-number", "--rpc-url", node.url)) == w3.eth.block_number
    balance = int(cast("balance", DEV_ADDRESSES[4], "--rpc-url", node.url))
    assert balance == w3.eth.get_balance(DEV_ADDRESSES[4])
    recipient = "0x" + "44" * 20
    out = cast("send", "--private-key", DEV_KEYS[4], recipient, "--value", "4242",
               "--rpc-url", node.url, "--json")  # fmt: skip
    assert '"status":"0x1"' in out.replace(" ", "")
    assert cast("balance", recipient, "--rpc-url", node.url) == "4242"
    assert int(cast("nonce", DEV_ADDRESSES[4], "--rpc-url", node.url)) == 1
    number = cast("block", "latest", "--field", "number", "--rpc-url", node.url)
    assert int(number) >= 1


def test_ape_custom_network(node: NodeProcess, tmp_path: Path) -> None:
    """A separate ape project declares the rollup as a custom network and transfers."""
    (tmp_path / "ape-config.yaml").write_text(
        textwrap.dedent(f"""\
        name: altrollup-l2-user
        plugins: []
        networks:
          custom:
            - name: altrollup
              chain_id: {CHAIN_ID}
              ecosystem: ethereum
              base_ecosystem_plugin: ethereum
              default_provider: node
        node:
          ethereum:
            altrollup:
              uri: {node.url}
        """)
    )
    (tmp_path / "user.py").write_text(
        textwrap.dedent("""\
        from ape import accounts, chain, networks
        with networks.parse_network_choice("ethereum:altrollup:node") as provider:
            sender = accounts.test_accounts[0]
            receipt = sender.transfer("0x" + "55" * 20, 555)
            print("RESULT", provider.chain_id, receipt.status, receipt.block_number,
                  provider.get_balance("0x" + "55" * 20), chain.blocks.head.number)
        """)
    )
    result = subprocess.run(
        [sys.executable, "user.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT"))
    _, chain_id, status, block, balance, head = line.split()
    assert (int(chain_id), int(status), int(balance)) == (CHAIN_ID, 1, 555)
    assert int(head) >= int(block) >= 1
    w3 = Web3(Web3.HTTPProvider(node.url))
    assert w3.eth.get_balance(Web3.to_checksum_address("0x" + "55" * 20)) == 555


@pytest.mark.parametrize("args, message", [
    (["--chain-id", "0"], "Invalid value for '--chain-id'"),
    (["--chain-id", "7", "--genesis", "/nonexistent.json"], "error: cannot read genesis file"),
    (["--chain-id", "7", "--coinbase", "0x12"], "error: --coinbase expects"),
    (["--chain-id", "7", "--aggregator", "nope"], "error: --aggregator expects ID=http"),
])  # fmt: skip
def test_cli_rejects_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    altrollup = str(Path(sys.executable).with_name("altrollup"))
    result = subprocess.run(
        [altrollup, "producer", "run", "--state-dir", str(tmp_path / "s"), "--port", "0", *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr


def test_cli_refuses_another_chain_in_the_same_state_dir(tmp_path: Path) -> None:
    first = NodeProcess(tmp_path / "state").start()
    first.stop()
    genesis = tmp_path / "genesis.json"
    genesis.write_text('{"alloc": {"0x' + "66" * 20 + '": {"balance": "0x1"}}}')
    altrollup = str(Path(sys.executable).with_name("altrollup"))
    result = subprocess.run(
        [altrollup, "producer", "run", "--state-dir", str(tmp_path / "state"), "--port", "0",
         "--chain-id", str(CHAIN_ID), "--genesis", str(genesis)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "error: state directory holds another chain: genesis_hash" in result.stderr
