"""Seconds from ``altrollup devnet`` to the first tier-1 block and the first tier-3 pack.

Starts the devnet as a user would (a fresh state directory, free ports), sends one
transfer through the printed RPC URL as soon as it answers, and measures from the
command's start:

* ``producer RPC up``   — the devnet reports its first producer ready (the transfer is
  sent then);
* ``first tier-1 block`` — the transfer's block is produced (tier 1: producer consensus;
  with one producer, a sealed block);
* ``every role ready``  — the devnet prints "devnet running" (every role answers);
* ``first tier-2 pack`` — the Rollup has a pack with an affirmation quorum;
* ``first tier-3 pack`` — the Rollup's ``lastFinalized`` moves past genesis (the devnet's
  challenge window, ``--challenge-window``, is part of this).

Target (issue 6): first tier-1 block <= 10 s once installed. Run with
``.venv/bin/python benchmarks/bench_devnet.py [--challenge-window S] [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eth_account import Account
from web3 import Web3

from agents.l1.anvil import funded_private_keys
from agents.l1.client import L1Client
from agents.l1.rollup import RollupContract, Tier

ALTROLLUP = str(Path(sys.executable).with_name("altrollup"))


def _value_after(line: str, label: str) -> str:
    return line.split(label, 1)[1].split()[0]


def one_run(challenge_window: int, timeout: float) -> dict[str, float]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-devnet-") as scratch:
        state = Path(scratch) / "state"
        command = [
            ALTROLLUP,
            "devnet",
            "--state-dir",
            str(state),
            "--l1-port",
            "0",
            "--base-port",
            "0",
            "--challenge-window",
            str(challenge_window),
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        marks: dict[str, float] = {}
        rpc = l1 = None
        try:
            for line in process.stdout:
                if " L1           " in line:
                    l1 = _value_after(line, " L1           ")
                if "producer-0 " in line and " ready after " in line:
                    rpc = _value_after(line, " at ")  # the RPC answers: send right away
                    break
            if rpc is None or l1 is None:
                raise RuntimeError("the devnet stopped before its producer was ready")
            marks["producer RPC up"] = time.monotonic() - started
            w3 = Web3(Web3.HTTPProvider(rpc))
            sender = Account.from_key(funded_private_keys(10)[4])
            tx = sender.sign_transaction(
                {
                    "to": "0x000000000000000000000000000000000000bEEF",
                    "value": 1,
                    "gas": 21000,
                    "maxFeePerGas": 2 * 10**9,
                    "maxPriorityFeePerGas": 1,
                    "nonce": w3.eth.get_transaction_count(sender.address),
                    "chainId": w3.eth.chain_id,
                }
            )
            w3.eth.send_raw_transaction(tx.raw_transaction)
            w3.eth.wait_for_transaction_receipt(tx.hash, timeout=timeout, poll_latency=0.02)
            marks["first tier-1 block"] = time.monotonic() - started
            for line in process.stdout:
                if "devnet running" in line:
                    marks["every role ready"] = time.monotonic() - started
                    break
            deployments = json.loads((state / "deployments.json").read_text())
            address = deployments["31337"]["Rollup:1"]["address"]
            rollup = RollupContract.at(L1Client.connect(l1), address)
            deadline = started + timeout
            while time.monotonic() < deadline and "first tier-3 pack" not in marks:
                count = rollup.pack_count()
                if "first tier-2 pack" not in marks and any(
                    rollup.tier_of(pack) in (Tier.VERIFICATION_FINAL, Tier.ROLLUP_FINAL)
                    for pack in range(1, count + 1)
                ):
                    marks["first tier-2 pack"] = time.monotonic() - started
                if rollup.last_finalized() > 0:
                    marks["first tier-3 pack"] = time.monotonic() - started
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenge-window", type=int, default=10)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    runs = [one_run(args.challenge_window, args.timeout) for _ in range(args.runs)]
    names = [
        "producer RPC up",
        "first tier-1 block",
        "every role ready",
        "first tier-2 pack",
        "first tier-3 pack",
    ]
    print(f"altrollup devnet, challenge window {args.challenge_window}s, {args.runs} runs")
    print(f"{'milestone':<22}{'median s':>10}{'best s':>10}")
    for name in names:
        values = [run[name] for run in runs if name in run]
        if not values:
            print(f"{name:<22}{'not reached':>20}")
            continue
        print(f"{name:<22}{statistics.median(values):>10.2f}{min(values):>10.2f}")
    print("target: first tier-1 block <= 10 s once installed")


if __name__ == "__main__":
    main()
