"""Gas table of the one-step prover libraries (``contracts/prover/lib``).

Runs ``forge test --match-path tests/forge/prover/ProverGas.t.sol -vv`` and tabulates
the ``GAS|<operation>| <gas>`` and ``CALLDATA|<operation>| <bytes>`` lines that test
prints; with ``--gas-report`` it also runs forge's gas report over the library
harness calls of every prover test (golden vectors included) and prints it after.

    .venv/bin/python benchmarks/bench_prover_libs.py [--gas-report]

The gas column is the execution gas of the library operation alone (a ``gasleft()``
delta inside the harness call: no 21k transaction base, no calldata, no call overhead).
SMT proofs at depth 17-22 are synthetic with every sibling non-empty, which is the
worst case for that depth (cost depends only on depth and sibling count). A one-step
proof's L1 cost adds 21,000 + calldata (16 gas per non-zero byte, 4 per zero byte) +
the step's own logic; the CALLDATA rows give the ABI size of the SMT proofs.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORGE = ROOT / "node_modules" / ".bin" / "forge"
LINE = re.compile(r"^\s*(GAS|CALLDATA)\|(.+?)\|\s+(\d+)\s*$")


def run_forge(*extra: str) -> str:
    """Run forge on the prover tests; the combined output, or exit with forge's error."""
    cmd = [str(FORGE), "test", *extra]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"forge failed: {' '.join(cmd)}")
    return proc.stdout


def parse(output: str) -> list[tuple[str, str, int]]:
    """``(kind, operation, value)`` rows from the test's console lines, in order."""
    rows = []
    for line in output.splitlines():
        m = LINE.match(line)
        if m:
            rows.append((m.group(1), m.group(2).strip(), int(m.group(3))))
    return rows


def table(rows: list[tuple[str, str, int]]) -> str:
    width = max(len(op) for _, op, _ in rows)
    out = [f"{'operation':<{width}}  {'gas':>8}  {'bytes':>6}", "-" * (width + 18)]
    for kind, op, value in rows:
        if kind == "GAS":
            out.append(f"{op:<{width}}  {value:>8,}  {'':>6}")
        else:
            out.append(f"{op:<{width}}  {'':>8}  {value:>6,}")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gas-report", action="store_true", help="also print forge's gas report of the harness"
    )
    args = parser.parse_args()
    rows = parse(run_forge("--match-path", "tests/forge/prover/ProverGas.t.sol", "-vv"))
    if not rows:
        raise SystemExit("no GAS lines in forge's output")
    print(table(rows))
    if args.gas_report:
        report = run_forge("--match-path", "tests/forge/prover/*.t.sol", "--gas-report")
        start = report.find("ProverLibsHarness")
        print()
        print(report[max(0, report.rfind("\n", 0, start)) :] if start >= 0 else report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
