"""Generate tests/vectors/step_proofs.json: golden one-step proofs of the rollup EVM.

Each vector is one step of a Python trace (``agents/evm/trace.py``): its pre-state, the
proof bytes ``EvmStepVerifier.step`` takes (``agents/evm/proof_abi.py``) and either the
post-state the contract must return or the exact revert data it must raise (uncovered
step classes, halts, boundary phases). Several steps of every covered class come from a
few small programs (``tests/prover/step_programs.py``); the output is deterministic, so
rerunning reproduces the committed file byte for byte. Read by
``tests/forge/prover/EvmStepVerifier.t.sol`` and ``benchmarks/bench_step_gas.py``.

    .venv/bin/python tests/vectors/generate_step_vectors.py          # rewrite the file
    .venv/bin/python tests/vectors/generate_step_vectors.py --check  # exit 1 if stale
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "prover"))

from sha3 import keccak_256  # noqa: E402
from step_programs import TRACE_CONTEXT, assemble, push, trace_program  # noqa: E402

from agents.evm.commitment import ZERO_WORD, tx_locator, u256  # noqa: E402
from agents.evm.proof_abi import encode_machine_only_proof, encode_step_proof  # noqa: E402
from agents.evm.trace import KIND_COPY_WORD, KIND_KECCAK_BLOCK, Trace, kind_name  # noqa: E402
from agents.evm.trace_proof import SUPPORTED, prove_step  # noqa: E402

OUT = Path(__file__).with_name("step_proofs.json")
PER_KIND = 3
SUB_STEPS = (KIND_KECCAK_BLOCK, KIND_COPY_WORD)
PER_KIND_OVERRIDE = {0x55: 5}  # every SSTORE gas/refund case of the main program
CALLDATA = bytes(range(1, 41))
STORAGE = {1: 5, 2: 7, 100: 3}

# Opcode classes as the coverage table of docs/one-step-prover.md names them.
CLASSES = [
    ("arithmetic", set(range(0x01, 0x0C))),
    ("comparison", set(range(0x10, 0x16))),
    ("bitwise", set(range(0x16, 0x1E))),
    ("keccak", {0x20, KIND_KECCAK_BLOCK}),
    ("log", set(range(0xA0, 0xA5))),
    ("environment", {0x30, 0x32, 0x33, 0x34, 0x36, 0x3A, 0x3D, 0x48, 0x4A} | set(range(65, 71))),
    ("calldata", {0x35}),
    ("memory", {0x51, 0x52, 0x53, 0x59}),
    ("storage", {0x54, 0x55}),
    ("transient", {0x5C, 0x5D}),
    ("copy", {0x37, 0x39, 0x3C, 0x3E, 0x5E, KIND_COPY_WORD}),
    ("account", {0x31, 0x3B, 0x3F, 0x47}),
    ("control", {0x56, 0x57, 0x58, 0x5A, 0x5B}),
    ("push", set(range(0x5F, 0x80))),
    ("stack", {0x50} | set(range(0x80, 0xA0))),
    ("halt", {0x00, 0xF3, 0xFD, 0xFE}),
]  # fmt: skip


def step_class(kind: int) -> str:
    for name, members in CLASSES:
        if kind in members:
            return name
    return "other"


def _binary(op: str, a: int, b: int) -> list[Any]:
    return [push(b), push(a), op, "POP"]


def main_program() -> bytes:
    """Every covered instruction class at least once, several with edge values."""
    big = (1 << 255) + 12345
    items: list[Any] = []
    for op, a, b in [
        ("ADD", big, big), ("MUL", 3, 1 << 200), ("SUB", 1, 2), ("DIV", 100, 7), ("DIV", 1, 0),
        ("SDIV", (1 << 256) - 100, 7), ("MOD", 100, 7), ("SMOD", (1 << 256) - 100, 7),
        ("EXP", 3, 300), ("EXP", 2, 0), ("SIGNEXTEND", 0, 0xF0), ("LT", 1, 2), ("GT", 1, 2),
        ("SLT", big, 1), ("SGT", big, 1), ("EQ", 5, 5), ("AND", 0xF0F0, 0xFF00),
        ("OR", 0xF0, 0x0F), ("XOR", 0xFF, 0x0F), ("BYTE", 31, 0xABCD), ("SHL", 4, 1),
        ("SHR", 4, 0x100), ("SAR", 4, big),
    ]:  # fmt: skip
        items += _binary(op, a, b)
    items += [push(7), push(5), push(10), "ADDMOD", "POP", push(7), push(5), push(10), "MULMOD"]
    items += ["POP", push(0), "ISZERO", "NOT", "POP"]
    # PUSH0, PUSH32, DUPs and SWAPs (16 items for DUP16/SWAP16).
    items += ["PUSH0", push((1 << 256) - 3, 32)] + [push(i) for i in range(1, 16)]
    items += ["DUP1", "DUP16", "SWAP1", "SWAP16", "SWAP3"] + ["POP"] * 18
    items += ["PC", "GAS", "MSIZE", "POP", "POP", "POP"]
    # Memory: an unaligned MSTORE (grows to 3 words), MSTORE8, MLOAD across two words.
    items += [push(0xDEADBEEF << 200), push(0x21), "MSTORE", push(0x1FF), push(3), "MSTORE8"]
    items += [push(0x11), "MLOAD", "POP", "MSIZE", "POP"]
    # KECCAK256: empty, 40 unaligned bytes, 1300 bytes (opcode step + sponge sub-steps).
    items += [push(0), push(0), "KECCAK256", "POP", push(40), push(5), "KECCAK256", "POP"]
    items += [push(1300), push(0), "KECCAK256", "POP"]
    # Copies: CALLDATACOPY running past the calldata, CODECOPY across chunks and past the
    # code, an overlapping MCOPY, zero-length RETURNDATACOPY; then their sub-steps.
    items += [push(50), push(20), push(300), "CALLDATACOPY", push(70), push(25), push(400)]
    items += ["CODECOPY", push(40), push(300), push(310), "MCOPY", push(0), push(0), push(0)]
    items += ["RETURNDATACOPY", push(8), push(0x7FFF), push(500), "CODECOPY"]
    # EXTCODECOPY: own code (warm) across a chunk boundary, an absent account (cold).
    items += [push(40), push(25), push(600), "ADDRESS", "EXTCODECOPY"]
    items += [push(5), push(0), push(700), push(0xDEAD01), "EXTCODECOPY"]
    # LOGn: no data, 40 unaligned bytes with two topics, 1300 bytes (sponge) with four.
    items += [push(0), push(0), "LOG0", push(2), push(1), push(40), push(5), "LOG2"]
    items += [push(4), push(3), push(2), push(1), push(1300), push(64), "LOG4"]
    # CALLDATALOAD: aligned, straddling the view's end, past it; environment opcodes.
    items += [push(0), "CALLDATALOAD", push(30), "CALLDATALOAD", push(100), "CALLDATALOAD"]
    items += ["POP", "POP", "POP"]
    for op in ["ADDRESS", "CALLER", "CALLVALUE", "CALLDATASIZE", "RETURNDATASIZE", "ORIGIN",
               "GASPRICE", "COINBASE", "TIMESTAMP", "NUMBER", "PREVRANDAO", "GASLIMIT",
               "CHAINID", "BASEFEE", "BLOBBASEFEE"]:  # fmt: skip
        items += [op, "POP"]
    # Storage: cold/warm/absent SLOAD; SSTORE reset, set, clear, restore, set-then-clear.
    items += [push(1), "SLOAD", push(1), "SLOAD", push(55), "SLOAD", "POP", "POP", "POP"]
    items += [push(9), push(2), "SSTORE", push(5), push(3), "SSTORE", push(0), push(100), "SSTORE"]
    items += [push(7), push(2), "SSTORE", push(0), push(3), "SSTORE"]
    # Accounts: cold/warm BALANCE of the sender, absent account, precompile, self.
    items += [push(0x11 * (2**160 - 1) // 255), "BALANCE", "POP", push(0x11 * (2**160 - 1) // 255)]
    items += ["BALANCE", "POP", push(0xDEAD), "EXTCODESIZE", "POP", push(0xDEAD), "EXTCODEHASH"]
    items += ["POP", push(3), "BALANCE", "POP", "ADDRESS", "EXTCODESIZE", "POP", "ADDRESS"]
    items += ["EXTCODEHASH", "POP", "CALLER", "EXTCODEHASH", "POP", "SELFBALANCE", "POP"]
    # Transient storage: absent read, insert, read, overwrite, delete.
    items += [push(4), "TLOAD", "POP", push(77), push(4), "TSTORE", push(4), "TLOAD", "POP"]
    items += [push(78), push(4), "TSTORE", push(0), push(4), "TSTORE"]
    code = assemble(items)
    # Flow: JUMP over an INVALID to a JUMPDEST; JUMPI not taken, then taken; STOP.
    tail_at = len(code)
    dest1 = tail_at + 5  # PUSH2 xx xx, JUMP, INVALID
    tail = assemble([push(dest1, 2), "JUMP", 0xFE, "JUMPDEST", push(0), push(0, 2), "JUMPI"])
    dest2 = tail_at + len(tail) + 7  # PUSH1 1, PUSH2 xx xx, JUMPI, INVALID
    tail += assemble([push(1), push(dest2, 2), "JUMPI", 0xFE, "JUMPDEST", "STOP"])
    return code + tail


def rejected_program() -> bytes:
    """Instructions of uncovered classes: CREATE of empty code, then CALL."""
    items: list[Any] = [push(0), push(0), push(0), "CREATE", "POP"]
    return assemble(items + [push(0)] * 5 + [push(0xDEAD), "GAS", "CALL", "STOP"])


def halt_programs() -> list[tuple[str, bytes, int]]:
    """(name, code, gas limit) of transactions whose last instruction halts the frame."""
    loop = assemble(["JUMPDEST", push(0), "JUMP"])
    return [
        (
            "RETURN",
            assemble([push(0xCAFE), push(40), "MSTORE", push(9), push(50), "RETURN"]),
            10**6,
        ),
        ("REVERT", assemble([push(2), push(70), "REVERT"]), 10**6),
        ("REVERT empty", assemble([push(0), push(1 << 200), "REVERT"]), 10**6),
        ("implicit STOP", assemble([push(1), push(2), "ADD"]), 10**6),
        ("INVALID", assemble([push(1), 0xFE]), 10**6),
        ("undefined opcode", assemble([push(1), 0x0C]), 10**6),
        ("stack underflow", assemble([push(1), "ADD"]), 10**6),
        ("invalid jump", assemble([push(2), "JUMP", "JUMPDEST"]), 10**6),
        ("jump into PUSH data", assemble([push(0x5B5B, 2), push(1), "JUMP"]), 10**6),
        ("out of gas", loop, 21_000 + 200),
        ("memory out of gas", assemble([push(1), push(1 << 40), "MSTORE"]), 10**6),
        ("stack overflow", assemble(["PUSH0"] * 1025), 10**6),
        ("cold SLOAD out of gas", assemble([push(1), "SLOAD"]), 21_000 + 3 + 100),
        ("SLOAD underflow", assemble(["SLOAD"]), 10**6),
        ("cold BALANCE out of gas", assemble([push(0xBEEF), "BALANCE"]), 21_000 + 3 + 50),
        ("warm BALANCE out of gas", assemble(["ADDRESS", "BALANCE"]), 21_000 + 2 + 50),
        (
            "huge EXTCODECOPY",
            assemble([push(1 << 40), push(0), push(0), push(7), "EXTCODECOPY"]),
            10**6,
        ),
        ("SSTORE within the stipend", assemble([push(1), push(1), "SSTORE"]), 21_000 + 6 + 2000),
        ("SELFBALANCE out of gas", assemble(["SELFBALANCE"]), 21_000 + 3),
    ]


def env_array_program() -> bytes:
    """BLOCKHASH in and out of the 256-block window, BLOBHASH in and out of range."""
    items: list[Any] = [push(76), "BLOCKHASH", push(0), "BLOCKHASH", push(77), "BLOCKHASH"]
    items += [push(1), "BLOBHASH", push(2), "BLOBHASH"]
    return assemble(items + ["STOP"])


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _selector(signature: str) -> bytes:
    return keccak_256(signature.encode()).digest()[:4]


def _vector(trace: Trace, index: int, name: str) -> dict[str, Any]:
    proof = prove_step(trace, index)
    kind = trace.kinds[index]
    return {
        "name": name,
        "class": step_class(kind),
        "kind": kind,
        "kindName": kind_name(kind),
        "step": index,
        "preState": _hex(trace.states[index]),
        "postState": _hex(trace.states[index + 1]),
        "proof": _hex(encode_step_proof(proof)),
    }


def _rejection(pre: bytes, proof: bytes, name: str, revert: bytes, kind: int) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "preState": _hex(pre),
        "proof": _hex(proof),
        "revertData": _hex(revert),
    }


def build() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    rejections: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        with trace_program(
            main_program(), Path(tmp) / "main", calldata=CALLDATA, storage=STORAGE, value=0
        ) as trace:
            if trace.result is None or not trace.result.success:
                raise AssertionError(f"main program failed: {trace.error}")
            seen: Counter[tuple[int, int]] = Counter()
            kinds = trace.kinds
            owner = 0  # the KECCAK256 / LOGn whose sponge sub-steps follow
            for index, kind in enumerate(kinds):
                if kind in (0x20, 0x37, 0x39, 0x3C, 0x3E, 0x5E) or 0xA0 <= kind <= 0xA4:
                    owner = kind
                if kind not in SUPPORTED and kind not in SUB_STEPS:
                    continue
                key = (kind, owner if kind in SUB_STEPS else 0)
                last_block = kind in SUB_STEPS and kinds[index + 1] != kind
                if seen[key] >= PER_KIND_OVERRIDE.get(kind, PER_KIND) and not last_block:
                    continue
                seen[key] += 1
                suffix = f" of {kind_name(owner)}" if kind in SUB_STEPS else ""
                vectors.append(_vector(trace, index, f"{kind_name(kind)}#{seen[key]}{suffix}"))
            start_record = [u256(0), trace.pre_root, tx_locator(TRACE_CONTEXT, 1)] + [ZERO_WORD] * 4
            rejections.append(
                _rejection(
                    trace.states[0],
                    encode_machine_only_proof(start_record),
                    "TX_START phase",
                    _selector("PhaseNotSupported(uint256)") + u256(0),
                    0x100,
                )
            )
        for number, (name, code, gas_limit) in enumerate(halt_programs()):
            directory = Path(tmp) / f"halt{number}"
            with trace_program(code, directory, gas_limit=gas_limit) as trace:
                last = max(i for i, kind in enumerate(trace.kinds) if kind < 0x100)
                vector = _vector(trace, last, f"{name} ({kind_name(trace.kinds[last])})")
                vector["class"] = "halt"
                vectors.append(vector)
        blobs = (b"\x01" + b"\xb1" * 31, b"\x01" + b"\xb2" * 31)
        with trace_program(env_array_program(), Path(tmp) / "env", blob_hashes=blobs) as trace:
            if trace.result is None or not trace.result.success:
                raise AssertionError(f"BLOCKHASH/BLOBHASH program failed: {trace.error}")
            for index, kind in enumerate(trace.kinds):
                if kind in (0x40, 0x49):
                    vector = _vector(trace, index, f"{kind_name(kind)} at step {index}")
                    vector["class"] = "environment"
                    vectors.append(vector)
        sstore = assemble([push(1), push(1), "SSTORE"])
        with trace_program(sstore, Path(tmp) / "sstore-oog", gas_limit=21_000 + 6 + 2400) as trace:
            index = trace.kinds.index(0x55)
            rejections.append(
                _rejection(
                    trace.states[index],
                    encode_step_proof(prove_step(trace, index)),
                    "SSTORE out of gas after the sentry",
                    _selector("ExceptionalHaltNotSupported(uint256)") + u256(0x55),
                    0x55,
                )
            )
        with trace_program(rejected_program(), Path(tmp) / "rejected") as trace:
            for index, kind in enumerate(trace.kinds):
                if kind in (0xF0, 0xF1):
                    proof = prove_step(trace, index, base_only=True)
                    rejections.append(
                        _rejection(
                            trace.states[index],
                            encode_step_proof(proof),
                            kind_name(kind),
                            _selector("StepClassNotSupported(uint256)") + u256(kind),
                            kind,
                        )
                    )
    return {
        "description": "One-step proofs of the rollup EVM: generated by "
        "tests/vectors/generate_step_vectors.py from agents/evm trace mode.",
        "traceContext": _hex(TRACE_CONTEXT),
        "txIndex": 1,
        "vectorCount": len(vectors),
        "vectors": vectors,
        "rejectionCount": len(rejections),
        "rejections": rejections,
    }


def render() -> str:
    return json.dumps(build(), indent=1) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: rerun {Path(__file__).name}")
            return 1
        print(f"{OUT.relative_to(ROOT)} is up to date")
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
