"""The Solidity one-step prover against Python trace mode, on a real anvil.

For random small programs built from every covered opcode class (random operands,
memory offsets, hash sizes including sponge sub-steps, calldata, storage), the program
is traced in Python and random covered steps are proven on-chain: the deployed
``EvmStepVerifier`` must return exactly the trace's next state. Plus the golden-vector
file must be up to date with its generator.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sha3 import keccak_256
from step_programs import SENDER, TARGET, TRACE_CONTEXT, Push, assemble, push, trace_program
from web3.contract import Contract
from web3.exceptions import ContractCustomError

from agents.evm.proof_abi import deploy_evm_step_verifier, encode_step_proof
from agents.evm.trace import KIND_COPY_WORD, KIND_KECCAK_BLOCK, kind_name
from agents.evm.trace_proof import SUPPORTED, prove_step
from agents.l1.client import L1Client

ROOT = Path(__file__).resolve().parents[2]
WORDS = st.one_of(
    st.integers(0, 2**256 - 1),
    st.integers(0, 300),
    st.sampled_from([2**255, 2**256 - 1, 2**255 - 1, 31, 32, 255, 256]),
)
BINARY = ["ADD", "MUL", "SUB", "DIV", "SDIV", "MOD", "SMOD", "EXP", "SIGNEXTEND", "LT", "GT",
          "SLT", "SGT", "EQ", "AND", "OR", "XOR", "BYTE", "SHL", "SHR", "SAR"]  # fmt: skip
ENV = ["ADDRESS", "CALLER", "CALLVALUE", "CALLDATASIZE", "RETURNDATASIZE", "ORIGIN", "GASPRICE",
       "COINBASE", "TIMESTAMP", "NUMBER", "PREVRANDAO", "GASLIMIT", "CHAINID", "BASEFEE",
       "BLOBBASEFEE", "PC", "GAS", "MSIZE"]  # fmt: skip
Item = str | int | Push
SUB_STEPS = (KIND_KECCAK_BLOCK, KIND_COPY_WORD)
UNSUPPORTED_HALT = "0x" + keccak_256(b"ExceptionalHaltNotSupported(uint256)").digest()[:4].hex()


@st.composite
def blocks(draw: st.DrawFn) -> list[Item]:
    """One stack-neutral block of the program exercising one covered class."""
    kind = draw(st.sampled_from(["binary", "ternary", "unary", "stack", "memory", "keccak",
                                 "calldata", "storage", "env", "jump", "log",
                                 "account", "copy"]))  # fmt: skip
    if kind == "binary":
        return [push(draw(WORDS)), push(draw(WORDS)), draw(st.sampled_from(BINARY)), "POP"]
    if kind == "ternary":
        op = draw(st.sampled_from(["ADDMOD", "MULMOD"]))
        return [push(draw(WORDS)), push(draw(WORDS)), push(draw(WORDS)), op, "POP"]
    if kind == "unary":
        return [push(draw(WORDS)), draw(st.sampled_from(["ISZERO", "NOT"])), "POP"]
    if kind == "stack":
        n = draw(st.integers(1, 16))
        items: list[Item] = [push(draw(WORDS), draw(st.sampled_from([None, 32]))) for _ in range(n)]
        items += ["PUSH0", f"DUP{n}", f"SWAP{n}"]
        return items + ["POP"] * (n + 2)
    if kind == "memory":
        offset = draw(st.integers(0, 2048))
        op = draw(st.sampled_from(["MSTORE", "MSTORE8"]))
        return [
            push(draw(WORDS)),
            push(offset),
            op,
            push(draw(st.integers(0, 2100))),
            "MLOAD",
            "POP",
        ]
    if kind == "keccak":
        size = draw(st.one_of(st.integers(0, 200), st.integers(1080, 1500)))
        return [push(size), push(draw(st.integers(0, 700))), "KECCAK256", "POP"]
    if kind == "calldata":
        return [push(draw(st.integers(0, 120))), "CALLDATALOAD", "POP"]
    if kind == "storage":
        slot = draw(st.integers(0, 6))
        if draw(st.booleans()):
            return [push(slot), draw(st.sampled_from(["SLOAD", "TLOAD"])), "POP"]
        if draw(st.booleans()):
            return [push(draw(st.sampled_from([0, 3, 2**255]))), push(slot), "TSTORE"]
        return [push(draw(st.sampled_from([0, 1, 5, 7, 2**200]))), push(slot), "SSTORE"]
    if kind == "log":
        n = draw(st.integers(0, 4))
        size = draw(st.one_of(st.integers(0, 100), st.integers(1080, 1400)))
        topics: list[Item] = [push(draw(WORDS)) for _ in range(n)]
        return topics + [push(size), push(draw(st.integers(0, 500))), f"LOG{n}"]
    if kind == "copy":
        op = draw(
            st.sampled_from(["CALLDATACOPY", "CODECOPY", "MCOPY", "RETURNDATACOPY", "EXTCODECOPY"])
        )
        size = 0 if op == "RETURNDATACOPY" else draw(st.integers(0, 100))
        source, dest = draw(st.integers(0, 400)), draw(st.integers(0, 400))
        copy: list[Item] = [push(size), push(source), push(dest)]
        if op == "EXTCODECOPY":
            copy.append(push(draw(st.sampled_from([int.from_bytes(TARGET, "big"), 0xDEAD]))))
        return copy + [op]
    if kind == "account":
        target = draw(st.sampled_from([int.from_bytes(SENDER, "big"), int.from_bytes(TARGET, "big"),
                                       0xDEAD, 3, 2**160 + 0xBEEF, 0]))  # fmt: skip
        op = draw(st.sampled_from(["BALANCE", "EXTCODESIZE", "EXTCODEHASH"]))
        return [push(target), op, "POP", "SELFBALANCE", "POP"]
    if kind == "env":
        return [draw(st.sampled_from(ENV)), "POP"]
    return [push(draw(st.integers(0, 1))), push(0xFFFF, 2), "POP", "POP", "JUMPDEST"]


@st.composite
def programs(draw: st.DrawFn) -> tuple[bytes, bytes, dict[int, int]]:
    items: list[Item] = []
    for block in draw(st.lists(blocks(), min_size=3, max_size=10)):
        items += block
    calldata = draw(st.binary(max_size=90))
    storage = draw(st.dictionaries(st.integers(0, 6), st.integers(1, 2**64), max_size=4))
    return assemble(items + draw(halts())), calldata, storage


@st.composite
def halts(draw: st.DrawFn) -> list[Item]:
    """How the program ends: every halting instruction, or running off the code."""
    region = [push(draw(st.integers(0, 100))), push(draw(st.integers(0, 3000)))]
    return draw(
        st.sampled_from(
            [
                ["STOP"], [], region + ["RETURN"], region + ["REVERT"], [0xFE], [0xEF],
                ["ADD"], [push(0), "JUMP"], [push(1), push(1 << 40), "MSTORE"],
            ]
        )
    )  # fmt: skip


@pytest.fixture(scope="module")
def verifier(l1: L1Client, funded_keys: list[str]) -> Contract:
    return deploy_evm_step_verifier(l1, Account.from_key(funded_keys[0]))


def _prove_on_chain(verifier: Contract, trace: Any, index: int) -> bytes:
    proof = encode_step_proof(prove_step(trace, index))
    post: bytes = verifier.functions.step(
        TRACE_CONTEXT, 1, index, trace.states[index], proof
    ).call()
    return post


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=programs(), picks=st.lists(st.integers(0, 10**6), min_size=6, max_size=6))
def test_random_steps_match_python(
    verifier: Contract, program: tuple[bytes, bytes, dict[int, int]], picks: list[int]
) -> None:
    code, calldata, storage = program
    with tempfile.TemporaryDirectory() as tmp:
        with trace_program(code, Path(tmp) / "db", calldata=calldata, storage=storage) as trace:
            assert trace.result is not None, trace.error
            covered = [i for i, k in enumerate(trace.kinds) if k in SUPPORTED or k in SUB_STEPS]
            for pick in picks:
                index = covered[pick % len(covered)]
                post = _prove_on_chain(verifier, trace, index)
                assert post == trace.states[index + 1], (
                    f"step {index} ({kind_name(trace.kinds[index])}) differs from Python"
                )


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=programs(), spare=st.integers(0, 40_000))
def test_out_of_gas_anywhere_matches_python(
    verifier: Contract, program: tuple[bytes, bytes, dict[int, int]], spare: int
) -> None:
    """A random gas limit makes the program run out of gas at a random instruction: the
    halting step (the last instruction step) is proven on-chain. The one uncovered halt,
    SSTORE out of gas past the stipend, must revert with its named error."""
    code, calldata, storage = program
    gas_limit = 21_000 + 16 * len(calldata) + spare
    with tempfile.TemporaryDirectory() as tmp:
        with trace_program(
            code, Path(tmp) / "db", calldata=calldata, storage=storage, gas_limit=gas_limit
        ) as trace:
            if trace.result is None:  # intrinsic gas not covered: an invalid transaction
                return
            steps = [i for i, k in enumerate(trace.kinds) if k < 0x100]
            if not steps:
                return
            index = steps[-1]
            kind = trace.kinds[index]
            proof = encode_step_proof(prove_step(trace, index))
            call = verifier.functions.step(TRACE_CONTEXT, 1, index, trace.states[index], proof)
            if kind == 0x55:
                try:
                    post = call.call()
                except ContractCustomError as error:
                    assert str(error.data).startswith(UNSUPPORTED_HALT), error
                    return
            else:
                post = call.call()
            assert post == trace.states[index + 1], f"halting {kind_name(kind)} differs"


def test_every_step_of_a_program_with_all_classes(verifier: Contract) -> None:
    """Each covered step of one program touching every class, in order."""
    items: list[Item] = [
        push(3), push(4), "ADD", push(0xAB), push(40), "MSTORE", push(1200), push(3), "KECCAK256",
        push(2), "SLOAD", push(9), push(2), "SSTORE", push(7), "CALLDATALOAD", "CALLER",
        "DUP3", "SWAP2", "POP", "POP", "POP", "POP", "POP", "STOP",
    ]  # fmt: skip
    code = assemble(items)
    with tempfile.TemporaryDirectory() as tmp:
        with trace_program(code, Path(tmp) / "db", calldata=b"\x01" * 50, storage={2: 3}) as trace:
            proven = 0
            for index, kind in enumerate(trace.kinds):
                if kind in SUPPORTED or kind in SUB_STEPS:
                    assert _prove_on_chain(verifier, trace, index) == trace.states[index + 1]
                    proven += 1
            assert proven == len([k for k in trace.kinds if k < 0x100]) + 9  # + 9 sponge blocks


def test_golden_vectors_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests/vectors/generate_step_vectors.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
