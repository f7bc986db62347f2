// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ProverTestBase} from "./ProverTestBase.sol";
import {EvmStepVerifier} from "../../../contracts/prover/EvmStepVerifier.sol";
import {CoreSteps} from "../../../contracts/prover/steps/CoreSteps.sol";
import {StorageSteps} from "../../../contracts/prover/steps/StorageSteps.sol";
import {SpongeSteps} from "../../../contracts/prover/steps/SpongeSteps.sol";
import {CopySteps} from "../../../contracts/prover/steps/CopySteps.sol";
import {IStepClass} from "../../../contracts/prover/steps/IStepClass.sol";
import {
    StepProof,
    MalformedStepProof,
    PreStateMismatch,
    PhaseNotSupported,
    FrameMismatch,
    BadChunkOpening,
    BadStackItemCount,
    RecordMismatch,
    BadRangeOpening,
    BadSmtOpening,
    WrongStepClass
} from "../../../contracts/prover/steps/StepProof.sol";
import {MachineHash} from "../../../contracts/prover/lib/MachineHash.sol";
import {CodeChunks} from "../../../contracts/prover/lib/CodeChunks.sol";
import {StackHash} from "../../../contracts/prover/lib/StackHash.sol";
import {KeccakSponge} from "../../../contracts/prover/lib/KeccakSponge.sol";

/// @notice The EVM one-step prover against the golden vectors of
///         `tests/vectors/step_proofs.json` (generated from Python trace mode by
///         `tests/vectors/generate_step_vectors.py`): every vector's post-state, every
///         rejection's exact revert data, named errors for tampered proofs, and a fuzzed
///         soundness property (a proof with any byte flipped either reverts or yields the
///         very same post-state).
contract EvmStepVerifierTest is ProverTestBase {
    EvmStepVerifier internal verifier;
    string internal json;
    bytes32 internal context;
    uint256 internal vectorCount;

    struct Vector {
        uint256 step;
        bytes32 pre;
        bytes32 post;
        bytes proof;
    }

    Vector[] internal vectors;
    string[] internal names;
    string[] internal kindNames;
    string[] internal classes;

    /// @dev A vector as forge's `parseJson` encodes it: the object's keys in alphabetical
    ///      order.
    struct JsonVector {
        string class_;
        uint256 kind;
        string kindName;
        string name;
        bytes32 postState;
        bytes32 preState;
        bytes proof;
        uint256 step;
    }

    /// @dev Decodes the vectors once per test into storage, with one JSON cheatcode call
    ///      (each call copies the whole file).
    function setUp() public override {
        super.setUp();
        vm.pauseGasMetering();
        verifier = new EvmStepVerifier(new CoreSteps(), new StorageSteps(), new SpongeSteps(), new CopySteps());
        json = _vectors("step_proofs.json");
        context = vm.parseJsonBytes32(json, ".traceContext");
        JsonVector[] memory parsed = abi.decode(vm.parseJson(json, ".vectors"), (JsonVector[]));
        vectorCount = parsed.length;
        for (uint256 i; i < vectorCount; ++i) {
            JsonVector memory v = parsed[i];
            vectors.push(Vector({step: v.step, pre: v.preState, post: v.postState, proof: v.proof}));
            names.push(v.name);
            kindNames.push(v.kindName);
            classes.push(v.class_);
        }
        vm.assertEq(vectorCount, vm.parseJsonUint(json, ".vectorCount"));
        vm.resumeGasMetering();
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          VECTORS                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function _vector(uint256 i) internal view returns (Vector memory) {
        return vectors[i];
    }

    /// @dev The first vector whose step is named `kindName` (e.g. "SSTORE").
    function _find(string memory kindName) internal view returns (Vector memory) {
        for (uint256 i; i < vectorCount; ++i) {
            if (keccak256(bytes(kindNames[i])) == keccak256(bytes(kindName))) return vectors[i];
        }
        revert("no such vector");
    }

    function _step(Vector memory v, bytes memory proof) internal view returns (bytes32) {
        return verifier.step(context, 1, v.step, v.pre, proof);
    }

    function test_vectorsCoverEveryClass() public view {
        vm.assertGe(vectorCount, 90, "vector count");
        string[16] memory wanted = [
            "arithmetic", "comparison", "bitwise", "keccak", "environment", "calldata", "memory", "storage",
            "control", "push", "stack", "halt", "log", "transient", "account", "copy"
        ];
        for (uint256 c; c < wanted.length; ++c) {
            bool found;
            for (uint256 i; i < vectorCount && !found; ++i) {
                found = keccak256(bytes(classes[i])) == keccak256(bytes(wanted[c]));
            }
            vm.assertTrue(found, wanted[c]);
        }
    }

    function test_everyVectorReachesPythonsPostState() public view {
        for (uint256 i; i < vectorCount; ++i) {
            Vector memory v = vectors[i];
            vm.assertEq(_step(v, v.proof), v.post, names[i]);
        }
    }

    function test_uncoveredStepsRevertWithTheirNamedError() public {
        uint256 n = vm.parseJsonUint(json, ".rejectionCount");
        vm.assertEq(n, 4);
        for (uint256 i; i < n; ++i) {
            string memory key = _at(".rejections", i);
            bytes32 pre = vm.parseJsonBytes32(json, string.concat(key, ".preState"));
            bytes memory proof = vm.parseJsonBytes(json, string.concat(key, ".proof"));
            vm.expectRevert(vm.parseJsonBytes(json, string.concat(key, ".revertData")));
            verifier.step(context, 1, 0, pre, proof);
        }
    }

    function test_traceBindingAndDonePadding() public view {
        bytes32 root = keccak256("post root");
        bytes32 end = verifier.traceEnd(context, 3, root);
        vm.assertEq(end, MachineHash.traceEnd(context, 3, root));
        vm.assertEq(verifier.traceStart(context, 3, root), MachineHash.traceStart(context, 3, root));
        StepProof memory p;
        p.machine = MachineHash.MachineState(3, root, MachineHash.txLocator(context, 3), 0, 0, 0, 0);
        vm.assertEq(verifier.step(context, 3, 77, end, abi.encode(p)), end);
    }

    function test_doneStateMustBeOpened() public {
        bytes32 root = keccak256("post root");
        bytes32 end = verifier.traceEnd(context, 3, root);
        StepProof memory p;
        p.machine = MachineHash.MachineState(3, keccak256("other root"), MachineHash.txLocator(context, 3), 0, 0, 0, 0);
        bytes32 opened = MachineHash.hash(p.machine);
        vm.expectRevert(abi.encodeWithSelector(PreStateMismatch.selector, end, opened));
        verifier.step(context, 3, 77, end, abi.encode(p));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       TAMPERED PROOFS                      */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function _decode(Vector memory v) internal pure returns (StepProof memory) {
        return abi.decode(v.proof, (StepProof));
    }

    function test_truncatedProofIsMalformed() public {
        Vector memory v = _find("ADD");
        vm.expectRevert(MalformedStepProof.selector);
        _step(v, new bytes(100));
        bytes memory shifted = bytes.concat(bytes32(uint256(0x40)), v.proof);
        vm.expectRevert(MalformedStepProof.selector);
        _step(v, shifted);
    }

    function test_wrongPreStateIsRejected() public {
        Vector memory v = _find("ADD");
        StepProof memory p = _decode(v);
        p.machine.worldRoot = keccak256("another world");
        vm.expectRevert(abi.encodeWithSelector(PreStateMismatch.selector, v.pre, MachineHash.hash(p.machine)));
        _step(v, abi.encode(p));
    }

    function test_otherPhasesAreNotSupported() public {
        Vector memory v = _find("ADD");
        StepProof memory p = _decode(v);
        p.machine.phase = 2;
        v.pre = MachineHash.hash(p.machine);
        vm.expectRevert(abi.encodeWithSelector(PhaseNotSupported.selector, 2));
        _step(v, abi.encode(p));
    }

    function test_wrongFrameIsRejected() public {
        Vector memory v = _find("MUL");
        StepProof memory p = _decode(v);
        p.frame.gas += 1;
        vm.expectRevert(FrameMismatch.selector);
        _step(v, abi.encode(p));
    }

    function test_wrongCodeChunkIsRejected() public {
        Vector memory v = _find("ADD");
        StepProof memory p = _decode(v);
        p.chunks[0].chunk = bytes32(uint256(p.chunks[0].chunk) ^ 1);
        vm.expectRevert(CodeChunks.BadChunkProof.selector);
        _step(v, abi.encode(p));
        p = _decode(v);
        p.chunks[0].index += 1;
        vm.expectRevert(abi.encodeWithSelector(BadChunkOpening.selector, p.chunks[0].index - 1, p.chunks[0].index));
        _step(v, abi.encode(p));
    }

    function test_missingPushDataChunkIsRejected() public {
        for (uint256 i; i < vectorCount; ++i) {
            StepProof memory p = abi.decode(vectors[i].proof, (StepProof));
            if (p.chunks.length < 2 || p.frame.pendingOp != 0) continue;
            uint256 op = CodeChunks.opcodeAt(p.chunks[0].chunk, p.frame.pc);
            if (op < 0x60 || op > 0x7f) continue; // a PUSH whose data crosses a chunk
            uint256 lastIndex = p.chunks[p.chunks.length - 1].index;
            /// @solidity memory-safe-assembly
            assembly {
                mstore(mload(add(p, 0x40)), 1) // keep only the opcode's own chunk
            }
            vm.expectRevert(abi.encodeWithSelector(BadChunkOpening.selector, lastIndex, 1));
            _step(vectors[i], abi.encode(p));
            return;
        }
        revert("no PUSH vector crosses a chunk boundary");
    }

    function test_wrongStackItemIsRejected() public {
        Vector memory v = _find("SUB");
        StepProof memory p = _decode(v);
        p.stack[1] += 1;
        vm.expectRevert(StackHash.StackMismatch.selector);
        _step(v, abi.encode(p));
        p = _decode(v);
        uint256[] memory items = new uint256[](3);
        items[0] = p.stack[0];
        items[1] = p.stack[1];
        p.stack = items;
        vm.expectRevert(abi.encodeWithSelector(BadStackItemCount.selector, 2, 3));
        _step(v, abi.encode(p));
    }

    function test_wrongRecordsAreRejected() public {
        Vector memory v = _find("CALLER");
        StepProof memory p = _decode(v);
        p.frameContext[8] = bytes32(uint256(0xbad));
        vm.expectRevert(abi.encodeWithSelector(RecordMismatch.selector, 1));
        _step(v, abi.encode(p));
        v = _find("TIMESTAMP");
        p = _decode(v);
        p.txEnv[7] = bytes32(uint256(1));
        vm.expectRevert(abi.encodeWithSelector(RecordMismatch.selector, 3));
        _step(v, abi.encode(p));
        v = _find("SLOAD");
        p = _decode(v);
        p.txContext[3] = bytes32(uint256(12345));
        vm.expectRevert(abi.encodeWithSelector(RecordMismatch.selector, 2));
        _step(v, abi.encode(p));
        p = _decode(v);
        p.account[1] = bytes32(uint256(p.account[1]) + 1);
        vm.expectRevert(abi.encodeWithSelector(RecordMismatch.selector, 5));
        _step(v, abi.encode(p));
    }

    function test_wrongMemoryAndCalldataAreRejected() public {
        Vector memory v = _find("MLOAD");
        StepProof memory p = _decode(v);
        p.mem[0].words[0] = bytes32(uint256(p.mem[0].words[0]) ^ 1);
        vm.expectRevert(abi.encodeWithSelector(BadRangeOpening.selector, 1));
        _step(v, abi.encode(p));
        v = _find("MSTORE");
        p = _decode(v);
        p.mem[0].first += 1;
        vm.expectRevert(abi.encodeWithSelector(BadRangeOpening.selector, 1));
        _step(v, abi.encode(p));
        v = _find("CALLDATALOAD");
        p = _decode(v);
        p.cdata[0].words[0] = bytes32(uint256(7));
        vm.expectRevert(abi.encodeWithSelector(BadRangeOpening.selector, 2));
        _step(v, abi.encode(p));
    }

    function test_wrongStorageOpeningsAreRejected() public {
        Vector memory v = _find("SSTORE");
        StepProof memory p = _decode(v);
        p.smt[1].value = bytes32(uint256(p.smt[1].value) + 1);
        vm.expectRevert(abi.encodeWithSelector(BadSmtOpening.selector, 1));
        _step(v, abi.encode(p));
        p = _decode(v);
        p.smt[2].present = !p.smt[2].present;
        vm.expectRevert(abi.encodeWithSelector(BadSmtOpening.selector, 2));
        _step(v, abi.encode(p));
        p = _decode(v);
        p.smt[0].proof.depth += 1;
        vm.expectRevert(abi.encodeWithSelector(BadSmtOpening.selector, 0));
        _step(v, abi.encode(p));
    }

    function test_wrongSpongeIsRejected() public {
        Vector memory v = _find("KECCAK_BLOCK");
        StepProof memory p = _decode(v);
        p.sponge[5] = bytes1(uint8(p.sponge[5]) ^ 1);
        vm.expectRevert(KeccakSponge.SpongeMismatch.selector);
        _step(v, abi.encode(p));
        p = _decode(v);
        p.pending[3] = bytes32(uint256(p.pending[3]) + 1);
        vm.expectRevert(abi.encodeWithSelector(RecordMismatch.selector, 4));
        _step(v, abi.encode(p));
    }

    function test_classContractsRejectMisroutedSteps() public {
        Vector memory v = _find("ADD");
        IStepClass storageClass = verifier.STORAGE();
        vm.expectRevert(abi.encodeWithSelector(WrongStepClass.selector, 0x01));
        storageClass.run(v.proof, v.pre);
        IStepClass sponge = verifier.SPONGE();
        vm.expectRevert(abi.encodeWithSelector(WrongStepClass.selector, 0));
        sponge.run(v.proof, v.pre);
    }

    /// forge-config: default.fuzz.runs = 128
    /// @notice Soundness: whatever byte of a proof is flipped, the verifier either reverts
    ///         or returns the one post-state the pre-state determines.
    function testFuzz_flippedProofNeverYieldsAnotherPostState(uint256 which, uint256 position, uint8 mask)
        public
        view
    {
        Vector memory v = _vector(bound(which, 0, vectorCount - 1));
        position = bound(position, 0, v.proof.length - 1);
        if (mask == 0) mask = 1;
        v.proof[position] = bytes1(uint8(v.proof[position]) ^ mask);
        try verifier.step(context, 1, v.step, v.pre, v.proof) returns (bytes32 post) {
            vm.assertEq(post, v.post, "a tampered proof produced another post-state");
        } catch {}
    }
}
