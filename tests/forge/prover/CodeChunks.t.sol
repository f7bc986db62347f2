// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ProverTestBase} from "./ProverTestBase.sol";
import {CodeChunks} from "../../../contracts/prover/lib/CodeChunks.sol";

/// @notice CodeChunks against `commitment.json` (chunks, roots, JUMPDEST checks) and
///         `prover.json` (chunk openings, opcodes, PUSH data across chunks), plus fuzzing
///         against a whole-code reference analysis written in this test.
contract CodeChunksTest is ProverTestBase {
    // ------------------------------------------------------------------ reference

    /// @dev `commitment.code_chunks`, written independently: headers from a linear scan.
    function _refChunks(bytes memory code) internal pure returns (bytes32[] memory chunks) {
        uint256 count = (code.length + 30) / 31;
        chunks = new bytes32[](count);
        uint256[] memory headers = new uint256[](count);
        uint256 pc;
        while (pc < code.length) {
            uint8 op = uint8(code[pc]);
            if (op >= 0x60 && op <= 0x7f) {
                uint256 dataEnd = pc + 1 + (op - 0x5f);
                // Every chunk starting inside the data begins with data bytes.
                for (uint256 c = (pc + 31) / 31; c < count && c * 31 < dataEnd; ++c) {
                    uint256 lead = dataEnd - c * 31;
                    headers[c] = lead > 31 ? 31 : lead;
                }
                pc = dataEnd;
            } else {
                ++pc;
            }
        }
        for (uint256 c; c < count; ++c) {
            bytes memory w = new bytes(32);
            w[0] = bytes1(uint8(headers[c]));
            for (uint256 i; i < 31 && c * 31 + i < code.length; ++i) {
                w[1 + i] = code[c * 31 + i];
            }
            chunks[c] = bytes32(w);
        }
    }

    /// @dev True iff byte `pc` of `code` starts an instruction (linear scan from 0).
    function _isInstructionStart(bytes memory code, uint256 target) internal pure returns (bool) {
        uint256 pc;
        while (pc < target) {
            uint8 op = uint8(code[pc]);
            pc += 1 + (op >= 0x60 && op <= 0x7f ? op - 0x5f : 0);
        }
        return pc == target;
    }

    function _refRoot(bytes32[] memory leaves) internal pure returns (bytes32) {
        if (leaves.length == 0) return 0;
        uint256 n = 1;
        while (n < leaves.length) n <<= 1;
        bytes32[] memory level = new bytes32[](n);
        for (uint256 i; i < leaves.length; ++i) {
            level[i] = leaves[i];
        }
        while (n > 1) {
            n >>= 1;
            for (uint256 i; i < n; ++i) {
                level[i] = keccak256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
            }
        }
        return level[0];
    }

    // ------------------------------------------------------------------ vectors

    /// @notice Chunking and roots agree with Python; every JUMPDEST check agrees.
    function test_vectors_chunksAndJumpdests() public view {
        string memory j = _vectors("commitment.json");
        uint256 n = _count(j, ".code");
        vm.assertEq(n, 4);
        uint256 checks;
        for (uint256 c; c < n; ++c) {
            string memory ck = _at(".code", c);
            bytes memory code = vm.parseJsonBytes(j, string.concat(ck, ".code"));
            bytes32[] memory chunks = vm.parseJsonBytes32Array(j, string.concat(ck, ".chunks"));
            bytes32[] memory mine = _refChunks(code);
            vm.assertEq(mine.length, chunks.length, "chunk count");
            for (uint256 i; i < chunks.length; ++i) {
                vm.assertEq(mine[i], chunks[i], "reference chunk");
            }
            vm.assertEq(_refRoot(chunks), vm.parseJsonBytes32(j, string.concat(ck, ".root")), "code root");
            uint256 m = _count(j, string.concat(ck, ".jumpdestChecks"));
            for (uint256 i; i < m; ++i) {
                string memory jk = _at(string.concat(ck, ".jumpdestChecks"), i);
                uint256 pc = vm.parseJsonUint(j, string.concat(jk, ".pc"));
                bytes32 chunk = chunks[vm.parseJsonUint(j, string.concat(jk, ".chunk"))];
                bool valid = vm.parseJsonBool(j, string.concat(jk, ".valid"));
                vm.assertTrue(h.ccIsJumpdest(chunk, pc) == valid, "isJumpdest");
                vm.assertTrue(h.ccIsValidJumpTarget(chunk, pc, code.length) == valid, "valid target");
                ++checks;
            }
        }
        vm.assertEq(checks, 80, "jumpdest checks");
    }

    /// @notice Every instruction of the prover vectors: chunk opening, opcode, PUSH data
    ///         (also across one and two chunk boundaries and past the end of the code).
    function test_vectors_codeOpenings() public {
        string memory j = _vectors("prover.json");
        uint256 n = _count(j, ".codeOpenings");
        vm.assertEq(n, 4);
        uint256 steps;
        for (uint256 c; c < n; ++c) {
            steps += _checkCode(j, _at(".codeOpenings", c));
        }
        vm.assertEq(steps, 6 + 62 + 12 + 33, "instructions checked");
    }

    function _checkCode(string memory j, string memory ck) internal returns (uint256 m) {
        bytes32 root = vm.parseJsonBytes32(j, string.concat(ck, ".root"));
        uint256 size = vm.parseJsonUint(j, string.concat(ck, ".size"));
        m = _count(j, string.concat(ck, ".steps"));
        for (uint256 i; i < m; ++i) {
            _checkStep(j, _at(string.concat(ck, ".steps"), i), root, size);
        }
        vm.expectRevert(CodeChunks.BadChunkProof.selector);
        h.ccOpenChunk(root, size, 0, keccak256("not the chunk"), new bytes32[](0));
    }

    function _checkStep(string memory j, string memory sk, bytes32 root, uint256 size) internal {
        uint256 pc = vm.parseJsonUint(j, string.concat(sk, ".pc"));
        bytes32 chunk = vm.parseJsonBytes32(j, string.concat(sk, ".chunk"));
        uint256 index = vm.parseJsonUint(j, string.concat(sk, ".chunkIndex"));
        vm.assertEq(index, pc / 31, "chunk index");
        {
            bytes32[] memory s = vm.parseJsonBytes32Array(j, string.concat(sk, ".siblings"));
            vm.assertEq(h.ccOpcodeAtPc(root, size, pc, chunk, s), vm.parseJsonUint(j, string.concat(sk, ".opcode")));
            vm.assertTrue(h.ccVerifyChunk(root, size, index, chunk, s), "chunk opens");
            vm.assertFalse(h.ccVerifyChunk(root, size, index, chunk ^ bytes32(uint256(1)), s), "changed chunk");
        }
        // The following chunks are the zero word past the code (opened with no proof).
        bytes32 next1 = vm.parseJsonBytes32(j, string.concat(sk, ".next1"));
        bytes32 next2 = vm.parseJsonBytes32(j, string.concat(sk, ".next2"));
        if ((index + 1) * 31 >= size) {
            vm.assertEq(next1, bytes32(0));
            h.ccOpenChunk(root, size, index + 1, 0, new bytes32[](0));
            vm.expectRevert(CodeChunks.BadChunkProof.selector);
            h.ccOpenChunk(root, size, index + 1, bytes32(uint256(1)), new bytes32[](0));
        }
        if ((index + 2) * 31 >= size) vm.assertEq(next2, bytes32(0));
        (uint256 pushSize, uint256 value) = h.ccPushData(chunk, next1, next2, pc);
        vm.assertEq(pushSize, vm.parseJsonUint(j, string.concat(sk, ".pushSize")), "push size");
        vm.assertEq(bytes32(value), vm.parseJsonBytes32(j, string.concat(sk, ".pushValue")), "push value");
    }

    // ------------------------------------------------------------------ fuzz

    /// @notice The one-chunk JUMPDEST check equals a whole-code linear analysis, for every
    ///         byte of random code (biased towards PUSH and JUMPDEST bytes).
    function testFuzz_jumpdestMatchesLinearScan(bytes memory raw) public view {
        vm.assume(raw.length != 0);
        if (raw.length > 160) {
            assembly {
                mstore(raw, 160)
            }
        }
        bytes memory code = new bytes(raw.length);
        for (uint256 i; i < raw.length; ++i) {
            uint8 b = uint8(raw[i]);
            // Half of the bytes become JUMPDEST, a quarter PUSH1..PUSH32.
            code[i] = b < 128 ? bytes1(0x5b) : b < 192 ? bytes1(uint8(0x60 + (b & 31))) : raw[i];
        }
        bytes32[] memory chunks = _refChunks(code);
        for (uint256 pc; pc < code.length; ++pc) {
            bool expected = uint8(code[pc]) == 0x5b && _isInstructionStart(code, pc);
            vm.assertTrue(h.ccIsValidJumpTarget(chunks[pc / 31], pc, code.length) == expected, "jumpdest");
        }
        vm.assertFalse(h.ccIsValidJumpTarget(chunks[chunks.length - 1], code.length, code.length), "past the code");
    }

    /// @notice `readBytes` equals byte-by-byte extraction from two chunk bodies.
    function testFuzz_readBytes(bytes32 a, bytes32 b, uint256 startSeed, uint256 nSeed) public view {
        uint256 start = bound(startSeed, 0, 30);
        uint256 n = bound(nSeed, 0, 32);
        uint256 expected;
        for (uint256 i; i < n; ++i) {
            uint256 q = start + i;
            bytes1 byteAt = q < 31 ? a[1 + q] : b[1 + q - 31];
            expected = (expected << 8) | uint8(byteAt);
        }
        vm.assertEq(h.ccReadBytes(a, b, start, n), expected);
    }
}
