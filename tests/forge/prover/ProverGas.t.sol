// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ProverTestBase} from "./ProverTestBase.sol";
import {ProverGasHarness} from "./ProverGasHarness.sol";
import {SparseMerkle} from "../../../contracts/prover/lib/SparseMerkle.sol";
import {MachineHash} from "../../../contracts/prover/lib/MachineHash.sol";

/// @notice Gas table of the prover libraries. Prints `GAS|<operation>| <gas>` and
///         `CALLDATA|<operation>| <bytes>` lines with `-vv` (parsed by
///         `benchmarks/bench_prover_libs.py`) and checks regression ceilings.
/// @dev SMT proofs at depth 17-22 are synthetic but exact in cost: verification and
///      update cost depend only on the depth and the sibling count, and every sibling here
///      is non-empty (the worst case; a 100k-key tree has ~17 non-empty siblings of ~18).
///      The root is computed by an independent fold in this file, and every measured call
///      is checked for the right result.
contract ProverGasTest is ProverTestBase {
    ProverGasHarness internal g;

    function setUp() public override {
        super.setUp();
        g = new ProverGasHarness();
    }

    function _gas(string memory label, uint256 used, uint256 ceiling) internal view {
        _log(string.concat("GAS|", label, "|"), used);
        vm.assertLe(used, ceiling, label);
    }

    function _calldata(string memory label, uint256 bytes_) internal view {
        _log(string.concat("CALLDATA|", label, "|"), bytes_);
    }

    // ------------------------------------------------------------------ SMT

    function _fullProof(bytes32 path, uint256 depth)
        internal
        pure
        returns (SparseMerkle.Proof memory p, bytes32[] memory ex)
    {
        ex = new bytes32[](depth);
        p.depth = depth;
        p.siblings = new bytes32[](depth);
        for (uint256 d; d < depth; ++d) {
            ex[d] = keccak256(abi.encode("sibling", path, d));
            p.siblings[d] = ex[d];
            p.siblingBitmap |= 1 << d;
        }
    }

    function _fold(bytes32 node, bytes32 path, bytes32[] memory ex, uint256 from) internal pure returns (bytes32) {
        for (uint256 d = from; d > 0;) {
            --d;
            node = (uint256(path) >> (255 - d)) & 1 == 1
                ? keccak256(abi.encodePacked(ex[d], node))
                : keccak256(abi.encodePacked(node, ex[d]));
        }
        return node;
    }

    function _leaf(bytes32 path, bytes32 value) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0), path, value));
    }

    function test_gas_smt() public view {
        bytes32 path = keccak256("account");
        bytes32 v = keccak256("record");
        _gasSmtAt(path, v, 17);
        _gasSmtAt(path, v, 20);
        _gasSmtAt(path, v, 22);
        _gasSmtInsertDelete(path, v);
    }

    function _gasSmtAt(bytes32 path, bytes32 v, uint256 depth) internal view {
        (SparseMerkle.Proof memory p, bytes32[] memory ex) = _fullProof(path, depth);
        bytes32 root = _fold(_leaf(path, v), path, ex, depth);
        (uint256 used, bool ok) = g.smtVerify(root, path, v, p);
        vm.assertTrue(ok);
        _gas(string.concat("SMT verify inclusion, depth ", _str(depth)), used, 400 * depth + 2_000);
        bytes32 newRoot;
        (used, newRoot) = g.smtUpdate(root, path, true, v, true, ~v, p);
        vm.assertEq(newRoot, _fold(_leaf(path, ~v), path, ex, depth));
        _gas(string.concat("SMT rootAfterUpdate (set), depth ", _str(depth)), used, 600 * depth + 3_000);
        _calldata(string.concat("SMT proof ABI bytes, depth ", _str(depth)), abi.encode(p).length);
    }

    function _gasSmtInsertDelete(bytes32 path, bytes32 v) internal view {
        // Insert next to a leaf at depth 19 splitting at 20 (the new proof: depth 21).
        uint256 depth = 19;
        (SparseMerkle.Proof memory p, bytes32[] memory ex) = _fullProof(path, depth);
        bytes32 q = path ^ bytes32(uint256(1) << (255 - 20));
        p.hasTerminalLeaf = true;
        p.terminalPath = q;
        p.terminalValue = v;
        bytes32 root = _fold(_leaf(q, v), path, ex, depth);
        (uint256 used, bytes32 r1) = g.smtUpdate(root, path, false, 0, true, v, p);
        _gas("SMT rootAfterUpdate (insert beside a leaf), depth 19 -> 21", used, 20_000);
        // Delete it again: the other leaf rises from depth 21 to 19.
        SparseMerkle.Proof memory p2;
        p2.depth = 21;
        p2.siblingBitmap = p.siblingBitmap | (1 << 20);
        p2.siblings = new bytes32[](20);
        for (uint256 d; d < 19; ++d) {
            p2.siblings[d] = p.siblings[d];
        }
        p2.siblings[19] = _leaf(q, v);
        p2.deepestSiblingPreimage = abi.encodePacked(bytes1(0), q, v);
        bytes32 r0;
        (used, r0) = g.smtUpdate(r1, path, true, v, false, 0, p2);
        vm.assertEq(r0, root);
        _gas("SMT rootAfterUpdate (delete, leaf sibling rises), depth 21", used, 20_000);
    }

    // ------------------------------------------------------------------ word trees

    function _tree(uint256 n) internal pure returns (bytes32[][] memory levels) {
        uint256 depth;
        while ((1 << depth) < n) ++depth;
        levels = new bytes32[][](depth + 1);
        levels[0] = new bytes32[](1 << depth);
        for (uint256 i; i < n; ++i) {
            levels[0][i] = keccak256(abi.encode("word", i));
        }
        for (uint256 k = 1; k <= depth; ++k) {
            levels[k] = new bytes32[](levels[k - 1].length / 2);
            for (uint256 i; i < levels[k].length; ++i) {
                levels[k][i] = keccak256(abi.encodePacked(levels[k - 1][2 * i], levels[k - 1][2 * i + 1]));
            }
        }
    }

    function _leafProof(bytes32[][] memory levels, uint256 index) internal pure returns (bytes32[] memory p) {
        p = new bytes32[](levels.length - 1);
        for (uint256 k; k < p.length; ++k) {
            p[k] = levels[k][index ^ 1];
            index >>= 1;
        }
    }

    function _rangeProof(bytes32[][] memory levels, uint256 lo, uint256 hi) internal pure returns (bytes32[] memory p) {
        bytes32[] memory buf = new bytes32[](2 * levels.length);
        uint256 n;
        for (uint256 k; k + 1 < levels.length; ++k) {
            if (lo & 1 == 1) buf[n++] = levels[k][--lo];
            if (hi & 1 == 1) buf[n++] = levels[k][hi++];
            lo >>= 1;
            hi >>= 1;
        }
        p = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            p[i] = buf[i];
        }
    }

    function test_gas_wordTree() public view {
        // Memory of 1,024 words (32 KiB): depth 10.
        bytes32[][] memory levels = _tree(1024);
        bytes32 root = levels[10][0];
        uint256 index = 333;
        (uint256 used, bytes32 r) =
            g.wtLeafWrite(root, 1024, index, levels[0][index], keccak256("new"), _leafProof(levels, index));
        vm.assertTrue(r != root);
        _gas("word tree leaf write (MSTORE word), depth 10", used, 8_000);
        // MLOAD at an unaligned offset: 2 words.
        bytes32[] memory two = new bytes32[](2);
        two[0] = levels[0][index];
        two[1] = levels[0][index + 1];
        (used, r) = g.wtRange(1024, index, two, _rangeProof(levels, index, index + 2));
        vm.assertEq(r, root);
        _gas("word tree range proof, 2 words, depth 10", used, 10_000);
        // One-step KECCAK256 of 1,088 unaligned bytes: 35 words.
        bytes32[] memory many = new bytes32[](35);
        for (uint256 i; i < 35; ++i) {
            many[i] = levels[0][index + i];
        }
        (used, r) = g.wtRange(1024, index, many, _rangeProof(levels, index, index + 35));
        vm.assertEq(r, root);
        _gas("word tree range proof, 35 words, depth 10", used, 30_000);
        (used, r) = g.wtGrowth(root, 1024, 40_000);
        _gas("word tree growth 1,024 -> 40,000 words", used, 8_000);
    }

    // ------------------------------------------------------------------ code

    function test_gas_code() public view {
        // 24,576-byte code: 793 chunks, depth 10.
        bytes32[][] memory levels = _tree(793);
        uint256 pc = 12_345;
        uint256 index = pc / 31;
        (uint256 used, uint256 op) = g.ccOpen(levels[10][0], 24_576, pc, levels[0][index], _leafProof(levels, index));
        vm.assertEq(op, uint8(levels[0][index][1 + pc % 31]));
        _gas("code chunk open + opcode, 24 KiB code (depth 10)", used, 8_000);
        // Worst JUMPDEST walk: 30 single-byte instructions before the target.
        bytes32 chunk = bytes32(0x005b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b);
        bool ok;
        (used, ok) = g.ccJumpdest(chunk, 30, 31);
        vm.assertTrue(ok);
        _gas("JUMPDEST check, 30-instruction walk", used, 6_000);
        (used, op) = g.ccPush(bytes32(uint256(0x7f) << 8), bytes32(type(uint256).max >> 8), bytes32(0), 30);
        _gas("PUSH32 data across a chunk boundary", used, 1_000);
    }

    // ------------------------------------------------------------------ records and stack

    function test_gas_records() public view {
        MachineHash.MachineState memory s =
            MachineHash.MachineState(1, bytes32("w"), bytes32("e"), bytes32("c"), 0, bytes32("f"), 0);
        (uint256 used, bytes32 r) = g.mhMachine(s);
        vm.assertEq(r, keccak256(abi.encode(s)));
        _gas("MachineState hash (7 words)", used, 500);
        MachineHash.Frame memory f = MachineHash.Frame(
            7, 100_000, bytes32("code"), 500, bytes32("stack"), 3, bytes32("mem"), 4, 0, bytes32("ctx")
        );
        (used, r) = g.mhFrame(f);
        vm.assertEq(r, keccak256(abi.encode(f)));
        _gas("Frame hash (10 words)", used, 500);
        (used, r) = g.mhFrameDecodeAndHash(f);
        _gas("Frame decode from calldata + hash", used, 1_500);
        MachineHash.FrameContext memory c;
        c.caller = address(1);
        c.value = 5;
        (used, r) = g.mhContext(c);
        vm.assertEq(r, keccak256(abi.encode(c)));
        _gas("FrameContext hash (18 words)", used, 500);
        bytes32 below = keccak256("below");
        bytes32 top = keccak256(abi.encode(keccak256(abi.encode(below, uint256(2))), uint256(1)));
        (used, r) = g.stPop2Push1(top, below, 1, 2);
        vm.assertEq(r, keccak256(abi.encode(below, uint256(3))));
        _gas("stack pop 2 + push 1 (ADD)", used, 800);
    }

    // ------------------------------------------------------------------ keccak

    function test_gas_keccak() public view {
        uint256[25] memory lanes;
        (uint256 used, uint256 lane0) = g.kPermute(lanes);
        vm.assertEq(lane0, 0xf1258f7940e1dde7);
        _gas("keccak-f[1600] permutation", used, 70_000);
        bytes memory state = new bytes(200);
        bytes memory blk = new bytes(136);
        bytes32 s0 = keccak256(abi.encodePacked(state, uint256(0)));
        bytes32 next;
        (used, next) = g.kAbsorbCommitted(s0, state, 0, blk);
        vm.assertTrue(next != s0);
        _gas("sponge sub-step (check commitment, absorb 136 bytes, commit)", used, 75_000);
    }
}
