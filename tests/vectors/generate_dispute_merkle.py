"""Generate tests/vectors/dispute_merkle.json: golden vectors for TxRootsMerkle.

Deterministic (leaves are keccak256 of a label), so rerunning reproduces the committed
file byte for byte. Read by tests/forge/DisputeGameMerkle.t.sol and
tests/dispute/test_merkle.py, so the Solidity library and agents/dispute/merkle.py cannot
drift.

    .venv/bin/python tests/vectors/generate_dispute_merkle.py          # rewrite the file
    .venv/bin/python tests/vectors/generate_dispute_merkle.py --check  # exit 1 if stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agents.dispute import merkle  # noqa: E402

OUT = Path(__file__).with_name("dispute_merkle.json")
COUNTS = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33]


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _leaves(count: int) -> list[bytes]:
    return [merkle.keccak(f"dispute-merkle/{count}/{i}".encode()) for i in range(count)]


def _indices(count: int) -> list[int]:
    return sorted({0, count // 2, count - 1})


def build() -> dict:
    vectors = []
    for count in COUNTS:
        leaves = _leaves(count)
        vectors.append(
            {
                "count": count,
                "depth": merkle.tree_depth(count),
                "leaves": [_hex(leaf) for leaf in leaves],
                "root": _hex(merkle.commitment(leaves)),
                "proofs": [
                    {
                        "index": index,
                        "leaf": _hex(leaves[index]),
                        "siblings": [_hex(s) for s in merkle.proof(leaves, index)],
                    }
                    for index in _indices(count)
                ],
            }
        )
    fixed = bytes.fromhex("11" * 32)
    return {
        "description": "TxRootsMerkle golden vectors (generate_dispute_merkle.py)",
        "leafHashOf0x11": _hex(merkle.leaf_hash(fixed)),
        "nodeHashOf0x11And0x22": _hex(merkle.node_hash(fixed, bytes.fromhex("22" * 32))),
        "count": len(vectors),
        "vectors": vectors,
    }


def render() -> str:
    return json.dumps(build(), indent=2) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is stale: rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
