"""Gas of on-chain ECVRF verification and of ExecutionLayerRegistry sequencer selection.

Starts its own anvil (random free port), deploys the SequencerRegistry, the
ExecutionLayerRegistry and the ECVRF harness from forge's ``out/`` (running
``forge build`` when needed), registers N staked operators and prints a table:

    .venv/bin/python benchmarks/bench_vrf_gas.py [--operators 5,20,50] [--picks 3,10]

Columns: ``verify`` is the gas of ``ECVRF.verify`` alone (``gasleft()`` delta inside
the harness); ``select tx`` is the full ``selectSequencers`` transaction (21k intrinsic
and calldata included); ``select exec`` is that minus the intrinsic and calldata cost.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "l1"))

from vrf_chain import ETHER, Stack, anvil_node, ensure_artifacts  # noqa: E402

from agents.l1 import vrf  # noqa: E402


def _calldata_gas(data: bytes) -> int:
    return sum(16 if b else 4 for b in data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", default="5,20,50", help="comma-separated operator counts")
    parser.add_argument("--picks", default="3,10", help="comma-separated maxSequencers values")
    args = parser.parse_args()
    sizes = [int(x) for x in args.operators.split(",")]
    picks = [int(x) for x in args.picks.split(",")]

    ensure_artifacts()
    sk, pk = vrf.keygen(b"bench-validator")
    rows = []
    with anvil_node() as w3:
        for n in sizes:
            stack = Stack.deploy(w3)
            for i in range(n):
                # Mixed stakes: every operator meets the ALT minimum, half also stSOL.
                stack.add_operator((100 + 7 * i) * ETHER, (1000 * (i % 2)) * ETHER)
            validator = list(w3.eth.accounts)[1]
            stack.register_validator(validator, pk)
            for k in picks:
                if k > n:
                    continue
                rollup_id, _, _ = stack.request(1, k)
                alpha = bytes(stack.elr.functions.selectionAlpha(rollup_id).call())
                proof = vrf.prove(sk, alpha)
                _, proof4, witness = vrf.solidity_args(pk, proof, alpha)
                ok, _, verify_gas = stack.harness.functions.verifyWithGas(
                    list(pk), proof4, alpha, witness
                ).call()
                assert ok
                fn = stack.elr.functions.selectSequencers(rollup_id, proof4, witness)
                data = bytes.fromhex(fn._encode_transaction_data()[2:])
                selected, _, tx_gas = stack.select(rollup_id, validator, sk)
                exec_gas = tx_gas - 21_000 - _calldata_gas(data)
                rows.append((n, len(selected), verify_gas, tx_gas, exec_gas))

    header = f"{'operators':>9} {'picked':>6} {'verify':>8} {'select tx':>10} {'select exec':>11}"
    print(header)
    print("-" * len(header))
    for n, k, v, tx, ex in rows:
        print(f"{n:>9} {k:>6} {v:>8,} {tx:>10,} {ex:>11,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
