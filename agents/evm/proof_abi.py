"""ABI encoding of one-step proofs for the Solidity prover (``contracts/prover``).

:func:`encode_step_proof` turns a :class:`~agents.evm.trace_proof.StepProof` into the
``bytes proof`` argument of ``EvmStepVerifier.step``: ``abi.encode(StepProof)`` with the
struct of ``contracts/prover/steps/StepProof.sol``::

    StepProof(
        MachineState machine,            // 7 words
        Frame frame,                     // 10 words
        ChunkOpening[] chunks,           // (index, chunk, bytes32[] proof)
        uint256[] stack,                 // opened items, top first
        bytes32 stackBelow,
        bytes32[] frameContext,          // 18 words or empty
        bytes32[] txContext,             // 12 words or empty
        bytes32[] txEnv,                 // 17 words or empty
        bytes32[] pending,               // the pending record or empty
        bytes sponge,                    // 200-byte state || w(absorbed), or empty
        RangeOpening[] mem,              // 0/1 x (first, bytes32[] words, bytes32[] proof)
        RangeOpening[] cdata,            // 0/1
        bytes32[] account,               // the 6-word account record or empty
        SmtOpening[] smt)                // (present, value, SparseMerkle.Proof): SLOAD /
                                         // SSTORE account, slot, warm slot; BALANCE &c.
                                         // account, warm address; T* transient

:func:`encode_done_proof` is the proof of a padding step from a ``DONE`` state (the
machine record alone). ``docs/one-step-prover.md`` documents the layout per step class.
"""

from __future__ import annotations

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from agents.evm import smt
from agents.evm.commitment import PHASE_DONE, ZERO_WORD, keccak, trace_end_state, tx_locator, u256
from agents.evm.trace_proof import RangeOpening, SmtOpening, StepProof
from agents.l1.client import L1Client

_WORDS7 = "(" + ",".join(["bytes32"] * 7) + ")"
_WORDS10 = "(" + ",".join(["bytes32"] * 10) + ")"
_CHUNK = "(uint256,bytes32,bytes32[])"
_RANGE = "(uint256,bytes32[],bytes32[])"
_SMT_PROOF = "(uint256,uint256,bytes32[],bool,bytes32,bytes32,bytes)"
_SMT = f"(bool,bytes32,{_SMT_PROOF})"
STEP_PROOF_ABI = (
    f"({_WORDS7},{_WORDS10},{_CHUNK}[],uint256[],bytes32,bytes32[],bytes32[],bytes32[],"
    f"bytes32[],bytes,{_RANGE}[],{_RANGE}[],bytes32[],{_SMT}[])"
)
"""The ABI type of ``StepProof`` (eth-abi notation)."""


def _range(opening: RangeOpening | None) -> list[tuple[int, list[bytes], list[bytes]]]:
    if opening is None:
        return []
    return [(opening.first, list(opening.words), list(opening.proof))]


def _smt_proof(proof: smt.SmtProof) -> tuple[int, int, list[bytes], bool, bytes, bytes, bytes]:
    terminal = proof.terminal_leaf
    return (
        proof.depth,
        proof.sibling_bitmap,
        list(proof.siblings),
        terminal is not None,
        terminal[0] if terminal is not None else ZERO_WORD,
        terminal[1] if terminal is not None else ZERO_WORD,
        proof.deepest_sibling_preimage or b"",
    )


def _smt(
    opening: SmtOpening,
) -> tuple[bool, bytes, tuple[int, int, list[bytes], bool, bytes, bytes, bytes]]:
    present = opening.value is not None
    return (present, opening.value or ZERO_WORD, _smt_proof(opening.proof))


def encode_step_proof(proof: StepProof) -> bytes:
    """``abi.encode(StepProof)`` for ``EvmStepVerifier.step``."""
    openings = (proof.account, proof.storage, proof.warm_slot, proof.warm_address, proof.transient)
    smt_openings = [o for o in openings if o is not None]
    account_words: list[bytes] = []
    if proof.account_record is not None:
        record = proof.account_record.encode()
        account_words = [record[i : i + 32] for i in range(0, len(record), 32)]
    value = (
        tuple(proof.machine_record),
        tuple(proof.frame_record),
        [(c.index, c.chunk, list(c.proof)) for c in proof.code_chunks],
        list(proof.stack_items),
        proof.stack_below,
        list(proof.frame_context or []),
        list(proof.tx_context or []),
        list(proof.tx_env or []),
        list(proof.pending_record or []),
        proof.sponge_state or b"",
        _range(proof.memory),
        _range(proof.calldata),
        account_words,
        [_smt(o) for o in smt_openings],
    )
    return encode([STEP_PROOF_ABI], [value])


def done_machine_record(trace_context: bytes, tx_index: int, post_root: bytes) -> list[bytes]:
    """The 7-word record of ``traceEnd(context, txIndex, postRoot)`` (a ``DONE`` state)."""
    locator = tx_locator(trace_context, tx_index)
    return [u256(PHASE_DONE), post_root, locator] + [ZERO_WORD] * 4


def encode_done_proof(trace_context: bytes, tx_index: int, post_root: bytes) -> bytes:
    """Proof of a padding step: the ``DONE`` machine record, every other field empty."""
    machine = done_machine_record(trace_context, tx_index, post_root)
    if trace_end_state(trace_context, tx_index, post_root) != _hash_record(machine):
        raise AssertionError("DONE record does not hash to traceEnd")
    return encode_machine_only_proof(machine)


def encode_machine_only_proof(machine_record: list[bytes]) -> bytes:
    """A proof carrying only a ``MachineState`` preimage (DONE padding, boundary states)."""
    value: tuple[object, ...] = (
        tuple(machine_record),
        tuple([ZERO_WORD] * 10),
        [], [], ZERO_WORD, [], [], [], [], b"", [], [], [], [],
    )  # fmt: skip
    return encode([STEP_PROOF_ABI], [value])


def _hash_record(words: list[bytes]) -> bytes:
    return keccak(b"".join(words))


def deploy_evm_step_verifier(client: L1Client, sender: LocalAccount) -> Contract:
    """Deploy the step classes and the ``EvmStepVerifier`` router; returns the router."""
    core = client.deploy("CoreSteps", sender)
    storage = client.deploy("StorageSteps", sender)
    sponge = client.deploy("SpongeSteps", sender)
    copy = client.deploy("CopySteps", sender)
    return client.deploy(
        "EvmStepVerifier", sender, core.address, storage.address, sponge.address, copy.address
    )
