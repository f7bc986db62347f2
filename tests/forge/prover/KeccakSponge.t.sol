// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ProverTestBase} from "./ProverTestBase.sol";
import {KeccakSponge} from "../../../contracts/prover/lib/KeccakSponge.sol";

/// @notice keccak-f[1600] and the committed sponge against `commitment.json`
///         (`keccakF1600`, `sponge`: commitments after every block and digests), and the
///         sponge against the EVM's own KECCAK256 on random inputs.
contract KeccakSpongeTest is ProverTestBase {
    function test_vectors_keccakF1600() public view {
        string memory j = _vectors("commitment.json");
        uint256[] memory inArr = vm.parseJsonUintArray(j, ".keccakF1600.lanesIn");
        uint256[] memory outArr = vm.parseJsonUintArray(j, ".keccakF1600.lanesOut");
        uint256[25] memory lanes;
        for (uint256 i; i < 25; ++i) {
            lanes[i] = inArr[i];
        }
        uint256[25] memory got = h.kPermute(lanes);
        for (uint256 i; i < 25; ++i) {
            vm.assertEq(got[i], outArr[i], "lane");
        }
        // The zero state: lane 0 of keccak-f(0) is the well-known 0xf1258f7940e1dde7.
        uint256[25] memory zero;
        vm.assertEq(h.kPermute(zero)[0], 0xf1258f7940e1dde7, "keccak-f of zero, lane 0");
    }

    /// @notice Block by block: each commitment equals Python's; the digest equals Python's
    ///         and the EVM's KECCAK256.
    function test_vectors_sponge() public view {
        string memory j = _vectors("commitment.json");
        uint256 n = _count(j, ".sponge");
        vm.assertEq(n, 4);
        for (uint256 c; c < n; ++c) {
            string memory k = _at(".sponge", c);
            bytes memory data = vm.parseJsonBytes(j, string.concat(k, ".data"));
            bytes32[] memory commitments = vm.parseJsonBytes32Array(j, string.concat(k, ".blockCommitments"));
            bytes32 digest = vm.parseJsonBytes32(j, string.concat(k, ".digest"));
            vm.assertEq(digest, keccak256(data), "Python digest is keccak256");
            vm.assertEq(commitments.length, data.length / 136 + 1, "one commitment per full block + S0");
            vm.assertEq(_absorbAll(data, commitments), digest, "sponge digest");
        }
    }

    /// @dev Runs the committed sub-steps over `data`, checking each commitment.
    function _absorbAll(bytes memory data, bytes32[] memory commitments) internal view returns (bytes32) {
        bytes memory state = new bytes(200);
        uint256 absorbed;
        vm.assertEq(h.kCommitment(state, 0), commitments[0], "S0");
        uint256 full = data.length / 136;
        for (uint256 b; b < full; ++b) {
            bytes memory blk = _slice(data, b * 136, 136);
            vm.assertEq(h.kAbsorbCommitted(commitments[b], state, absorbed, blk), commitments[b + 1], "committed step");
            (state, absorbed) = h.kAbsorb(state, absorbed, blk);
            vm.assertEq(h.kCommitment(state, absorbed), commitments[b + 1], "commitment after block");
        }
        (bytes32 digest, uint256 total,) =
            h.kFinish(state, absorbed, _slice(data, full * 136, data.length - full * 136));
        vm.assertEq(total, data.length, "absorbed byte count");
        return digest;
    }

    function _slice(bytes memory a, uint256 from, uint256 len) internal pure returns (bytes memory out) {
        out = new bytes(len);
        for (uint256 i; i < len; ++i) {
            out[i] = a[from + i];
        }
    }

    function test_rejects() public {
        bytes memory state = new bytes(200);
        vm.expectRevert(KeccakSponge.BadBlockLength.selector);
        h.kAbsorb(state, 0, new bytes(135));
        vm.expectRevert(KeccakSponge.BadBlockLength.selector);
        h.kFinish(state, 0, new bytes(136));
        vm.expectRevert(KeccakSponge.BadStateLength.selector);
        h.kAbsorb(new bytes(199), 0, new bytes(136));
        vm.expectRevert(KeccakSponge.SpongeMismatch.selector);
        h.kAbsorbCommitted(bytes32(uint256(1)), state, 0, new bytes(136));
    }

    /// @notice The Solidity sponge equals the EVM's KECCAK256 for any input.
    function testFuzz_spongeMatchesKeccak256(bytes memory data) public view {
        if (data.length > 700) {
            assembly {
                mstore(data, 700)
            }
        }
        bytes memory state = new bytes(200);
        uint256 absorbed;
        uint256 full = data.length / 136;
        for (uint256 b; b < full; ++b) {
            (state, absorbed) = h.kAbsorb(state, absorbed, _slice(data, b * 136, 136));
        }
        (bytes32 digest,,) = h.kFinish(state, absorbed, _slice(data, full * 136, data.length - full * 136));
        vm.assertEq(digest, keccak256(data));
    }
}
