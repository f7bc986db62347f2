// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SparseMerkle} from "../../../contracts/prover/lib/SparseMerkle.sol";
import {WordTree} from "../../../contracts/prover/lib/WordTree.sol";
import {CodeChunks} from "../../../contracts/prover/lib/CodeChunks.sol";
import {StackHash} from "../../../contracts/prover/lib/StackHash.sol";
import {MachineHash} from "../../../contracts/prover/lib/MachineHash.sol";
import {KeccakSponge} from "../../../contracts/prover/lib/KeccakSponge.sol";

/// @notice External entry points over the prover libraries, so tests pass proofs as
///         calldata (as the one-step prover receives them) and the gas report measures
///         each operation as one call.
contract ProverLibsHarness {
    // ------------------------------------------------------------------ SparseMerkle

    function smtVerify(bytes32 root, bytes32 path, bool present, bytes32 value, SparseMerkle.Proof calldata proof)
        external
        pure
        returns (bool)
    {
        return SparseMerkle.verify(root, path, present, value, proof);
    }

    function smtRootAfterUpdate(
        bytes32 root,
        bytes32 path,
        bool oldPresent,
        bytes32 oldValue,
        bool newPresent,
        bytes32 newValue,
        SparseMerkle.Proof calldata proof
    ) external pure returns (bytes32) {
        return SparseMerkle.rootAfterUpdate(root, path, oldPresent, oldValue, newPresent, newValue, proof);
    }

    function smtLeafHash(bytes32 path, bytes32 value) external pure returns (bytes32) {
        return SparseMerkle.leafHash(path, value);
    }

    function smtInternalHash(bytes32 left, bytes32 right) external pure returns (bytes32) {
        return SparseMerkle.internalHash(left, right);
    }

    function smtPathOfAddressSlot(address account, bytes32 slot) external pure returns (bytes32) {
        return SparseMerkle.pathOfAddressSlot(account, slot);
    }

    function smtPathOfAddress(address account) external pure returns (bytes32) {
        return SparseMerkle.pathOfAddress(account);
    }

    function smtPathOfWord(bytes32 key) external pure returns (bytes32) {
        return SparseMerkle.pathOfWord(key);
    }

    // ------------------------------------------------------------------ WordTree

    function wtDepthOf(uint256 n) external pure returns (uint256) {
        return WordTree.depthOf(n);
    }

    function wtZeroTree(uint256 k) external pure returns (bytes32) {
        return WordTree.zeroTree(k);
    }

    function wtVerifyLeaf(bytes32 root, uint256 n, uint256 index, bytes32 leaf, bytes32[] calldata siblings)
        external
        pure
        returns (bool)
    {
        return WordTree.verifyLeaf(root, n, index, leaf, siblings);
    }

    function wtRootAfterLeafWrite(
        bytes32 root,
        uint256 n,
        uint256 index,
        bytes32 oldLeaf,
        bytes32 newLeaf,
        bytes32[] calldata siblings
    ) external pure returns (bytes32) {
        return WordTree.rootAfterLeafWrite(root, n, index, oldLeaf, newLeaf, siblings);
    }

    function wtRootFromRange(uint256 n, uint256 first, bytes32[] calldata leaves, bytes32[] calldata proof)
        external
        pure
        returns (bool, bytes32)
    {
        return WordTree.rootFromRange(n, first, leaves, proof);
    }

    function wtRootAfterGrowth(bytes32 root, uint256 oldCount, uint256 newCount) external pure returns (bytes32) {
        return WordTree.rootAfterGrowth(root, oldCount, newCount);
    }

    function wtBuilderAppend(uint256 count, bytes32[] calldata frontier, bytes32 leaf)
        external
        pure
        returns (bytes32[] memory)
    {
        return WordTree.builderAppend(count, frontier, leaf);
    }

    function wtBuilderCommitment(uint256 count, bytes32[] calldata frontier) external pure returns (bytes32) {
        return WordTree.builderCommitment(count, frontier);
    }

    function wtBuilderRoot(uint256 count, bytes32[] calldata frontier) external pure returns (bytes32) {
        return WordTree.builderRoot(count, frontier);
    }

    // ------------------------------------------------------------------ CodeChunks

    function ccVerifyChunk(bytes32 codeRoot, uint256 codeSize, uint256 index, bytes32 chunk, bytes32[] calldata s)
        external
        pure
        returns (bool)
    {
        return CodeChunks.verifyChunk(codeRoot, codeSize, index, chunk, s);
    }

    function ccOpenChunk(bytes32 codeRoot, uint256 codeSize, uint256 index, bytes32 chunk, bytes32[] calldata s)
        external
        pure
    {
        CodeChunks.openChunk(codeRoot, codeSize, index, chunk, s);
    }

    /// @notice A realistic "fetch the opcode at pc" step: open the chunk, read the byte.
    function ccOpcodeAtPc(bytes32 codeRoot, uint256 codeSize, uint256 pc, bytes32 chunk, bytes32[] calldata s)
        external
        pure
        returns (uint256)
    {
        CodeChunks.openChunk(codeRoot, codeSize, CodeChunks.chunkIndex(pc), chunk, s);
        return CodeChunks.opcodeAt(chunk, pc);
    }

    function ccIsJumpdest(bytes32 chunk, uint256 target) external pure returns (bool) {
        return CodeChunks.isJumpdest(chunk, target);
    }

    function ccIsValidJumpTarget(bytes32 chunk, uint256 target, uint256 codeSize) external pure returns (bool) {
        return CodeChunks.isValidJumpTarget(chunk, target, codeSize);
    }

    function ccPushData(bytes32 opChunk, bytes32 next1, bytes32 next2, uint256 pc)
        external
        pure
        returns (uint256, uint256)
    {
        return CodeChunks.pushData(opChunk, next1, next2, pc);
    }

    function ccReadBytes(bytes32 a, bytes32 b, uint256 start, uint256 n) external pure returns (uint256) {
        return CodeChunks.readBytes(a, b, start, n);
    }

    // ------------------------------------------------------------------ StackHash

    function stPush(bytes32 h, uint256 v) external pure returns (bytes32) {
        return StackHash.push(h, v);
    }

    function stFold(bytes32 below, uint256[] calldata items) external pure returns (bytes32) {
        return StackHash.fold(below, items);
    }

    function stPop(bytes32 h, bytes32 below, uint256[] calldata items) external pure returns (bytes32) {
        return StackHash.pop(h, below, items);
    }

    function stPop2(bytes32 h, bytes32 below, uint256 a, uint256 b) external pure returns (bytes32) {
        return StackHash.pop2(h, below, a, b);
    }

    function stDup(bytes32 h, bytes32 below, uint256[] calldata items) external pure returns (bytes32) {
        return StackHash.dup(h, below, items);
    }

    function stSwap(bytes32 h, bytes32 below, uint256[] calldata items) external pure returns (bytes32) {
        return StackHash.swap(h, below, items);
    }

    // ------------------------------------------------------------------ MachineHash

    function mhMachineState(MachineHash.MachineState calldata s) external pure returns (bytes32) {
        return MachineHash.hash(s);
    }

    function mhFrame(MachineHash.Frame calldata f) external pure returns (bytes32) {
        return MachineHash.hash(f);
    }

    function mhFrameContext(MachineHash.FrameContext calldata c) external pure returns (bytes32) {
        return MachineHash.hash(c);
    }

    function mhTxContext(MachineHash.TxContext calldata c) external pure returns (bytes32) {
        return MachineHash.hash(c);
    }

    function mhTxEnv(MachineHash.TxEnv calldata e) external pure returns (bytes32) {
        return MachineHash.hash(e);
    }

    function mhAccount(MachineHash.AccountRecord calldata a) external pure returns (bytes32) {
        return MachineHash.hash(a);
    }

    // ------------------------------------------------------------------ KeccakSponge

    function kPermute(uint256[25] calldata lanes) external pure returns (uint256[25] memory out) {
        out = lanes;
        KeccakSponge.permute(out);
    }

    function kAbsorbCommitted(bytes32 current, bytes calldata state, uint256 absorbed, bytes calldata block_)
        external
        pure
        returns (bytes32)
    {
        return KeccakSponge.absorbCommitted(current, state, absorbed, block_);
    }

    function kAbsorb(bytes calldata state, uint256 absorbed, bytes calldata block_)
        external
        pure
        returns (bytes memory, uint256)
    {
        bytes memory s = state;
        uint256 n = KeccakSponge.absorb(s, absorbed, block_);
        return (s, n);
    }

    function kFinish(bytes calldata state, uint256 absorbed, bytes calldata tail)
        external
        pure
        returns (bytes32, uint256, bytes memory)
    {
        bytes memory s = state;
        (bytes32 d, uint256 n) = KeccakSponge.finish(s, absorbed, tail);
        return (d, n, s);
    }

    function kCommitment(bytes calldata state, uint256 absorbed) external pure returns (bytes32) {
        return KeccakSponge.commitment(state, absorbed);
    }
}
