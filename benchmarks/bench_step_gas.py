"""L1 gas of the EVM one-step prover per opcode class, and of a whole EVM dispute.

Starts an anvil, deploys ``EvmStepVerifier`` and its step classes, and measures
``eth_estimateGas`` of ``step(...)`` for every golden vector of
``tests/vectors/step_proofs.json``: the full cost of a one-step proof transaction
(21,000 base + calldata + execution), grouped by opcode class (median, max), against
the targets of issue 4 (median <= 120k, max <= 500k). Then it plays the end-to-end
dispute of ``tests/prover/test_evm_dispute_e2e.py`` on a larger pack (``--txs``
OpenZeppelin ERC-20 transfers or ledger calls, the poster lying from a random covered
step of a random transaction) and reports the dispute's total gas (every game transaction: open,
moves, step, claims; the pack posting excluded) and its number of moves.

    .venv/bin/python benchmarks/bench_step_gas.py [--txs 1000] [--seed 1] [--workload erc20]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "prover"))
sys.path.insert(0, str(ROOT / "tests" / "challenger"))

from eth_account import Account  # noqa: E402

from agents.evm.proof_abi import deploy_evm_step_verifier  # noqa: E402
from agents.l1.anvil import AnvilProcess, funded_private_keys  # noqa: E402
from agents.l1.client import L1Client  # noqa: E402

VECTORS = ROOT / "tests" / "vectors" / "step_proofs.json"
MEDIAN_TARGET = 120_000
MAX_TARGET = 500_000


def step_gas_by_class(client: L1Client, owner: Any) -> dict[str, list[tuple[int, str]]]:
    """Gas of a step transaction for every golden vector, grouped by class."""
    data = json.loads(VECTORS.read_text())
    verifier = deploy_evm_step_verifier(client, owner)
    context = bytes.fromhex(data["traceContext"][2:])
    table: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for vector in data["vectors"]:
        call = verifier.functions.step(
            context,
            data["txIndex"],
            vector["step"],
            bytes.fromhex(vector["preState"][2:]),
            bytes.fromhex(vector["proof"][2:]),
        )
        post = call.call()
        if post != bytes.fromhex(vector["postState"][2:]):
            raise SystemExit(f"vector {vector['name']} gave a different post-state")
        gas = int(call.estimate_gas({"from": owner.address}))
        table[vector["class"]].append((gas, vector["name"]))
    return table


def print_step_table(table: dict[str, list[tuple[int, str]]]) -> list[int]:
    print("one-step proof transactions (21k base + calldata + execution), by class")
    print(f"{'class':<12} {'n':>4} {'median':>9} {'max':>9}  heaviest step")
    everything: list[int] = []
    for name in sorted(table, key=lambda k: statistics.median(g for g, _ in table[k])):
        rows = table[name]
        gases = [g for g, _ in rows]
        everything += gases
        heaviest = max(rows)
        print(
            f"{name:<12} {len(rows):>4} {int(statistics.median(gases)):>9,} {max(gases):>9,}"
            f"  {heaviest[1]}"
        )
    median, top = int(statistics.median(everything)), max(everything)
    print(
        f"{'all':<12} {len(everything):>4} {median:>9,} {top:>9,}  "
        f"(targets: median <= {MEDIAN_TARGET:,} -> {median / MEDIAN_TARGET:.2f}x, "
        f"max <= {MAX_TARGET:,} -> {top / MAX_TARGET:.2f}x)"
    )
    return everything


def dispute(
    client: L1Client, keys: list[str], txs: int, seed: int, workload: str
) -> dict[str, Any]:
    """Play one EVM dispute (lying poster vs the challenger agent) and total its gas."""
    from challenger_env import drive, make_chain
    from evm_dispute_env import (
        LyingEvmTraceProvider,
        covered,
        deploy_evm_rollup,
        evm_agent,
        genesis_store,
        install_token,
        ledger_calls,
        post_evm_pack,
        single_pack_factory,
        token_transfers,
        trace_pack,
    )

    from agents.challenger import store as db
    from agents.dispute.game import read_game
    from agents.l1.rollup import Tier

    rng = random.Random(seed)
    chain = make_chain(client, keys)
    with tempfile.TemporaryDirectory() as tmp:
        store = genesis_store(Path(tmp) / "l2")
        try:
            started = time.perf_counter()
            probe_store = genesis_store(Path(tmp) / "probe")
            if workload == "erc20":
                token = install_token(store)
                probe_txs = token_transfers(install_token(probe_store), 1)
                pack_txs = token_transfers(token, txs)
            else:
                probe_txs, pack_txs = ledger_calls(1), ledger_calls(txs)
            probe = trace_pack(probe_store, 1, 1, 1, 16, probe_txs)
            probe_store.close()
            depth = max(1, (max(probe.traces[0].step_count, 2) - 1).bit_length() + 1)
            deployed = deploy_evm_rollup(chain, store.state_root(), depth)
            rollup, game = deployed.rollup, deployed.game
            _, _, last_block = rollup.head_state()
            pack = trace_pack(store, rollup.l2_chain_id(), last_block + 1, txs, depth, pack_txs)
            traced = time.perf_counter() - started
            lie_tx = rng.randint(1, txs)
            kinds = pack.traces[lie_tx - 1].kinds
            lie_step = rng.choice([i for i, k in enumerate(kinds) if covered(k)])
            lie = LyingEvmTraceProvider(pack.honest(), pack.context, lie_tx, lie_step)
            pack_id = post_evm_pack(deployed, chain.verifiers[1], pack, lie.tx_roots())
            first_block = client.w3.eth.block_number + 1
            challenger, _ = evm_agent(
                chain, rollup.address, chain.challenger, Path(tmp) / "c",
                single_pack_factory(pack.pre_root, pack.honest()),
            )  # fmt: skip
            defender, _ = evm_agent(
                chain, rollup.address, chain.verifiers[1], Path(tmp) / "d",
                single_pack_factory(pack.pre_root, lie), challenge=False, defend=True,
            )  # fmt: skip
            played = time.perf_counter()
            drive([challenger, defender], lambda: rollup.tier_of(pack_id) is Tier.INVALID, 400)
            played = time.perf_counter() - played
            last = client.w3.eth.block_number
            total = step_tx = count = 0
            step_selector = _selector(game, "step")
            targets = {game.address.lower(), rollup.address.lower()}
            for number in range(first_block, last + 1):
                block = client.w3.eth.get_block(number, full_transactions=True)
                for tx in block["transactions"]:
                    assert not isinstance(tx, bytes)
                    if tx["to"] is None or tx["to"].lower() not in targets:
                        continue
                    receipt = client.w3.eth.get_transaction_receipt(tx["hash"])
                    total += int(receipt["gasUsed"])
                    count += 1
                    if bytes(tx["input"][:4]) == step_selector:
                        step_tx = int(receipt["gasUsed"])
            (record,) = db.list_games(challenger.store)
            state = read_game(game, record.game_id)
            return {
                "txs": txs,
                "step_depth": depth,
                "steps_in_lie_tx": pack.traces[lie_tx - 1].step_count,
                "lie": (lie_tx, lie_step, kinds[lie_step]),
                "moves": int(state.moves),
                "l1_txs": count,
                "total_gas": total,
                "step_gas": step_tx,
                "trace_seconds": traced,
                "play_seconds": played,
            }
        finally:
            store.close()


def _selector(contract: Any, name: str) -> bytes:
    from eth_utils import function_abi_to_4byte_selector

    (abi,) = [e for e in contract.abi if e.get("type") == "function" and e["name"] == name]
    return bytes(function_abi_to_4byte_selector(abi))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--txs", type=int, default=1000, help="transactions in the pack")
    parser.add_argument("--seed", type=int, default=1, help="where the poster lies")
    parser.add_argument(
        "--workload", choices=["erc20", "ledger"], default="erc20",
        help="OpenZeppelin ERC-20 transfers, or the small SSTORE/KECCAK ledger contract",
    )  # fmt: skip
    args = parser.parse_args(argv)
    keys = funded_private_keys(10)
    with AnvilProcess() as node:
        client = L1Client.connect(node.url)
        owner = Account.from_key(keys[0])
        table = step_gas_by_class(client, owner)
        print_step_table(table)
        print()
        result = dispute(client, keys, args.txs, args.seed, args.workload)
    from agents.evm.trace import kind_name

    lie_tx, lie_step, kind = result["lie"]
    print(
        f"end-to-end EVM dispute: pack of {result['txs']} {args.workload} transactions, step depth "
        f"{result['step_depth']} ({result['steps_in_lie_tx']} steps in the lying transaction)"
    )
    print(f"  lie at transaction {lie_tx}, step {lie_step} ({kind_name(kind)})")
    print(f"  moves {result['moves']}, L1 transactions {result['l1_txs']}")
    print(
        f"  total dispute gas {result['total_gas']:,} (step transaction "
        f"{result['step_gas']:,}); tracing {result['trace_seconds']:.1f}s, "
        f"playing {result['play_seconds']:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
