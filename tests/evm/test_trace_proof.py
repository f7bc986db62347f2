"""Proof data of single trace steps: every opening checks against the committed state."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.evm import smt
from agents.evm.backend import Account, StateDiff
from agents.evm.commitment import (
    KeccakSponge,
    root_from_range,
    stack_push_hash,
    trace_end_state,
    verify_leaf,
)
from agents.evm.interpreter import run_in_big_stack
from agents.evm.store import MerkleStore
from agents.evm.trace import KIND_KECCAK_BLOCK, trace_to_root, trace_transaction
from agents.evm.trace_proof import (
    SUPPORTED,
    EvmTraceProvider,
    ProofNotSupported,
    StepProof,
    prove_step,
)
from agents.evm.transactions import Transaction
from agents.evm.vm import BlockEnv

SENDER = bytes.fromhex("11" * 20)
TARGET = bytes.fromhex("aa" * 20)
# SLOAD(1), SSTORE(2, 9), CALLDATALOAD(3), MSTORE/MSTORE8/MLOAD, a JUMPI loop of 3,
# KECCAK256 over 32 bytes and over 1300 bytes (sponge sub-steps), DUP/SWAP, STOP.
PROGRAM = bytes.fromhex(
    "600154" "6009600255" "600335" "60aa602152" "60bb600353" "602151"
    "6003" "5b" "6001900380" "601a57" "50"
    "6020600020" "610514600020" "8091" "00"
)  # fmt: skip


def _setup(store: MerkleStore) -> None:
    diff = StateDiff()
    diff.accounts[SENDER] = Account(0, 10**20)
    from sha3 import keccak_256

    code_hash = keccak_256(PROGRAM).digest()
    diff.accounts[TARGET] = Account(0, 0, code_hash)
    diff.codes[code_hash] = PROGRAM
    diff.storage[TARGET] = {1: 5, 2: 7, 100: 3}
    store.apply(diff)


@pytest.fixture()
def traced(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = MerkleStore(tmp_path / "db")
    _setup(store)
    pre_root = store.state_root()
    tx = Transaction(nonce=0, gas_limit=1_000_000, to=TARGET, gas_price=1, data=bytes(range(40)))
    trace = run_in_big_stack(
        lambda: trace_transaction(
            store,
            BlockEnv(),
            tx,
            SENDER,
            trace_context=b"\x07" * 32,
            tx_index=1,
            backend_factory=lambda: store.at_root(pre_root),
        )  # fmt: skip
    )
    yield trace, store
    store.close()


def _check(proof: StepProof) -> None:
    frame = proof.frame_record
    assert frame[9] and proof.machine_record[5] is not None
    code_root, code_size = frame[2], int.from_bytes(frame[3], "big")
    for opening in proof.code_chunks:
        assert verify_leaf(
            code_root, -(-code_size // 31), opening.index, opening.chunk, opening.proof
        )
    h = proof.stack_below
    for value in reversed(proof.stack_items):
        h = stack_push_hash(h, value)
    assert h == frame[4]
    if proof.memory is not None:
        m = proof.memory
        assert root_from_range(m.tree_words, m.first, m.words, m.proof) == m.root
    if proof.calldata is not None:
        c = proof.calldata
        assert root_from_range(c.tree_words, c.first, c.words, c.proof) == c.root
    for smt_opening in (proof.account, proof.storage, proof.warm_slot):
        if smt_opening is not None:
            assert smt.verify_proof(
                smt_opening.root, smt_opening.key, smt_opening.value, smt_opening.proof
            )


def test_every_supported_step_has_checkable_proof_data(traced) -> None:  # type: ignore[no-untyped-def]
    trace, store = traced
    assert trace.result.success
    assert trace.post_root == store.state_root()
    assert trace.end_state == trace_end_state(b"\x07" * 32, 1, store.state_root())
    proved = 0
    kinds = trace.kinds
    for index, kind in enumerate(kinds):
        if kind in SUPPORTED or kind == KIND_KECCAK_BLOCK:
            proof = prove_step(trace, index)
            _check(proof)
            proved += 1
            if kind == 0x55:
                assert proof.storage is not None and proof.storage.value == (7).to_bytes(32, "big")
                assert proof.warm_slot is not None and proof.warm_slot.value is None
            if kind == KIND_KECCAK_BLOCK:
                assert proof.sponge_state is not None and len(proof.sponge_state) == 232
        elif kind >= 0x100:
            with pytest.raises(ProofNotSupported):
                prove_step(trace, index)
    assert proved > 40
    assert kinds.count(KIND_KECCAK_BLOCK) == 1300 // 136 + 1


def test_sponge_commitment_of_proof_matches_the_pending_record(traced) -> None:  # type: ignore[no-untyped-def]
    trace, _ = traced
    index = trace.kinds.index(KIND_KECCAK_BLOCK) + 2
    proof = prove_step(trace, index)
    assert proof.sponge_state is not None and proof.pending_record is not None
    sponge = KeccakSponge()
    sponge.absorbed = int.from_bytes(proof.sponge_state[200:], "big")
    from sha3 import keccak_256

    assert keccak_256(proof.sponge_state).digest() == proof.pending_record[5]


def test_provider_pads_with_the_done_state(traced) -> None:  # type: ignore[no-untyped-def]
    from sha3 import keccak_256

    trace, _ = traced
    depth = (trace.step_count - 1).bit_length()
    provider = EvmTraceProvider([trace], depth)
    assert provider.tx_count == 1
    assert provider.step_state(1, 0) == trace.start_state
    assert provider.step_state(1, 1 << depth) == trace.end_state
    assert provider.step_state(1, trace.step_count) == trace.end_state
    assert provider.tx_root(0) == trace.pre_root and provider.tx_roots() == [trace.post_root]
    assert len(trace_to_root(trace.states)) == 32
    first_push = trace.kinds.index(0x60)
    # abi.encode(StepProof): a tuple offset, then the 7-word MachineState preimage.
    encoded = provider.step_proof(1, first_push)
    assert keccak_256(encoded[32:256]).digest() == trace.states[first_push]
