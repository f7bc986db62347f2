// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SparseMerkle} from "../../../contracts/prover/lib/SparseMerkle.sol";
import {WordTree} from "../../../contracts/prover/lib/WordTree.sol";
import {CodeChunks} from "../../../contracts/prover/lib/CodeChunks.sol";
import {StackHash} from "../../../contracts/prover/lib/StackHash.sol";
import {MachineHash} from "../../../contracts/prover/lib/MachineHash.sol";
import {KeccakSponge} from "../../../contracts/prover/lib/KeccakSponge.sol";

/// @notice Measures the execution gas of one library operation inside the call (with
///         `gasleft()`), i.e. without the call, calldata and ABI-decoding overhead a
///         one-step prover pays once per step anyway. Each function returns the gas used
///         and the operation's result so the bench can check it did real work.
contract ProverGasHarness {
    function smtVerify(bytes32 root, bytes32 path, bytes32 value, SparseMerkle.Proof calldata proof)
        external
        view
        returns (uint256 used, bool ok)
    {
        uint256 g = gasleft();
        ok = SparseMerkle.verifyInclusion(root, path, value, proof);
        used = g - gasleft();
    }

    function smtUpdate(
        bytes32 root,
        bytes32 path,
        bool oldPresent,
        bytes32 oldValue,
        bool newPresent,
        bytes32 newValue,
        SparseMerkle.Proof calldata proof
    ) external view returns (uint256 used, bytes32 newRoot) {
        uint256 g = gasleft();
        newRoot = SparseMerkle.rootAfterUpdate(root, path, oldPresent, oldValue, newPresent, newValue, proof);
        used = g - gasleft();
    }

    function wtLeafWrite(bytes32 root, uint256 n, uint256 index, bytes32 oldLeaf, bytes32 newLeaf, bytes32[] calldata s)
        external
        view
        returns (uint256 used, bytes32 newRoot)
    {
        uint256 g = gasleft();
        newRoot = WordTree.rootAfterLeafWrite(root, n, index, oldLeaf, newLeaf, s);
        used = g - gasleft();
    }

    function wtRange(uint256 n, uint256 first, bytes32[] calldata leaves, bytes32[] calldata proof)
        external
        view
        returns (uint256 used, bytes32 root)
    {
        uint256 g = gasleft();
        bytes32[] memory l = leaves;
        (, root) = WordTree.rootFromRange(n, first, l, proof);
        used = g - gasleft();
    }

    function wtGrowth(bytes32 root, uint256 oldN, uint256 newN) external view returns (uint256 used, bytes32 r) {
        uint256 g = gasleft();
        r = WordTree.rootAfterGrowth(root, oldN, newN);
        used = g - gasleft();
    }

    function ccOpen(bytes32 codeRoot, uint256 codeSize, uint256 pc, bytes32 chunk, bytes32[] calldata s)
        external
        view
        returns (uint256 used, uint256 op)
    {
        uint256 g = gasleft();
        CodeChunks.openChunk(codeRoot, codeSize, CodeChunks.chunkIndex(pc), chunk, s);
        op = CodeChunks.opcodeAt(chunk, pc);
        used = g - gasleft();
    }

    function ccJumpdest(bytes32 chunk, uint256 target, uint256 codeSize) external view returns (uint256 used, bool ok) {
        uint256 g = gasleft();
        ok = CodeChunks.isValidJumpTarget(chunk, target, codeSize);
        used = g - gasleft();
    }

    function ccPush(bytes32 a, bytes32 b, bytes32 c, uint256 pc) external view returns (uint256 used, uint256 v) {
        uint256 g = gasleft();
        (, v) = CodeChunks.pushData(a, b, c, pc);
        used = g - gasleft();
    }

    function stPop2Push1(bytes32 h, bytes32 below, uint256 a, uint256 b)
        external
        view
        returns (uint256 used, bytes32 r)
    {
        uint256 g = gasleft();
        r = StackHash.push(StackHash.pop2(h, below, a, b), a + b);
        used = g - gasleft();
    }

    function mhMachine(MachineHash.MachineState calldata s) external view returns (uint256 used, bytes32 r) {
        MachineHash.MachineState memory m = s;
        uint256 g = gasleft();
        r = MachineHash.hash(m);
        used = g - gasleft();
    }

    function mhFrame(MachineHash.Frame calldata f) external view returns (uint256 used, bytes32 r) {
        MachineHash.Frame memory m = f;
        uint256 g = gasleft();
        r = MachineHash.hash(m);
        used = g - gasleft();
    }

    /// @notice Decoding from calldata into memory and hashing: what a step really pays.
    function mhFrameDecodeAndHash(MachineHash.Frame calldata f) external view returns (uint256 used, bytes32 r) {
        uint256 g = gasleft();
        MachineHash.Frame memory m = f;
        r = MachineHash.hash(m);
        used = g - gasleft();
    }

    function mhContext(MachineHash.FrameContext calldata c) external view returns (uint256 used, bytes32 r) {
        MachineHash.FrameContext memory m = c;
        uint256 g = gasleft();
        r = MachineHash.hash(m);
        used = g - gasleft();
    }

    function kPermute(uint256[25] calldata lanes) external view returns (uint256 used, uint256 lane0) {
        uint256[25] memory a = lanes;
        uint256 g = gasleft();
        KeccakSponge.permute(a);
        used = g - gasleft();
        lane0 = a[0];
    }

    function kAbsorbCommitted(bytes32 current, bytes calldata state, uint256 absorbed, bytes calldata blk)
        external
        view
        returns (uint256 used, bytes32 next)
    {
        bytes memory s = state;
        bytes memory b = blk;
        uint256 g = gasleft();
        next = KeccakSponge.absorbCommitted(current, s, absorbed, b);
        used = g - gasleft();
    }
}
