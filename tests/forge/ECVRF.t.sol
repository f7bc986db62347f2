// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {ECVRF} from "../../contracts/lib/ECVRF.sol";

/// @notice External entry points over the ECVRF library, used by these forge tests and
///         deployed on anvil by tests/l1/test_vrf.py and benchmarks/bench_vrf_gas.py.
contract ECVRFHarness {
    function verify(
        uint256[2] calldata publicKey,
        uint256[4] calldata proof,
        bytes calldata alpha,
        ECVRF.Witness calldata witness
    ) external view returns (bool valid, bytes32 beta) {
        return ECVRF.verify(publicKey, proof, alpha, witness);
    }

    /// @notice Same as `verify` plus the gas the library call consumed.
    function verifyWithGas(
        uint256[2] calldata publicKey,
        uint256[4] calldata proof,
        bytes calldata alpha,
        ECVRF.Witness calldata witness
    ) external view returns (bool valid, bytes32 beta, uint256 gasUsed) {
        uint256 start = gasleft();
        (valid, beta) = ECVRF.verify(publicKey, proof, alpha, witness);
        gasUsed = start - gasleft();
    }

    function hashToCurve(uint256[2] calldata publicKey, bytes calldata alpha) external view returns (uint256, uint256) {
        return ECVRF.hashToCurve(publicKey, alpha);
    }

    function decodeProof(bytes calldata pi) external view returns (uint256[4] memory) {
        return ECVRF.decodeProof(pi);
    }

    function proofToHash(uint256 gammaX, uint256 gammaY) external pure returns (bytes32) {
        return ECVRF.proofToHash(gammaX, gammaY);
    }
}

/// @notice ECVRF golden vectors (tests/vectors/vrf.json) verified on-chain, tampered
///         variants rejected, gas measured.
contract ECVRFTest is TestBase {
    event log_named_uint(string key, uint256 val);

    struct Vector {
        uint256[2] pk;
        uint256[4] proof;
        bytes alpha;
        bytes pi;
        bytes32 beta;
        uint256[2] h;
        ECVRF.Witness w;
    }

    ECVRFHarness internal harness;
    string internal json;
    uint256 internal count;

    function setUp() public {
        harness = new ECVRFHarness();
        json = vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/vrf.json"));
        count = vm.parseJsonUint(json, ".count");
    }

    function _two(string memory key) internal view returns (uint256[2] memory out) {
        uint256[] memory a = vm.parseJsonUintArray(json, key);
        out[0] = a[0];
        out[1] = a[1];
    }

    function _load(uint256 i) internal view returns (Vector memory v) {
        string memory p = string.concat(".vectors[", vm.toString(i), "]");
        v.pk = _two(string.concat(p, ".pk"));
        uint256[] memory pr = vm.parseJsonUintArray(json, string.concat(p, ".proof"));
        for (uint256 k; k < 4; ++k) v.proof[k] = pr[k];
        v.alpha = vm.parseJsonBytes(json, string.concat(p, ".alpha"));
        v.pi = vm.parseJsonBytes(json, string.concat(p, ".pi"));
        v.beta = vm.parseJsonBytes32(json, string.concat(p, ".beta"));
        v.h = _two(string.concat(p, ".h"));
        v.w.u = _two(string.concat(p, ".witness.u"));
        v.w.sH = _two(string.concat(p, ".witness.sH"));
        v.w.cGamma = _two(string.concat(p, ".witness.cGamma"));
        v.w.v = _two(string.concat(p, ".witness.v"));
    }

    function _verify(Vector memory v) internal view returns (bool ok, bytes32 beta) {
        return harness.verify(v.pk, v.proof, v.alpha, v.w);
    }

    function test_vectorCount() public view {
        vm.assertGe(count, 8);
    }

    function test_goldenVectorsVerify() public {
        for (uint256 i; i < count; ++i) {
            Vector memory v = _load(i);
            (bool ok, bytes32 beta, uint256 gasUsed) = harness.verifyWithGas(v.pk, v.proof, v.alpha, v.w);
            vm.assertTrue(ok, "golden vector rejected");
            vm.assertEq(beta, v.beta, "beta mismatch");
            emit log_named_uint(string.concat("ECVRF.verify gas, vector ", vm.toString(i)), gasUsed);
        }
    }

    function test_hashToCurveMatchesPython() public view {
        for (uint256 i; i < count; ++i) {
            Vector memory v = _load(i);
            (uint256 hx, uint256 hy) = harness.hashToCurve(v.pk, v.alpha);
            vm.assertEq(hx, v.h[0]);
            vm.assertEq(hy, v.h[1]);
        }
    }

    function test_decodeProofMatchesPython() public view {
        for (uint256 i; i < count; ++i) {
            Vector memory v = _load(i);
            uint256[4] memory d = harness.decodeProof(v.pi);
            for (uint256 k; k < 4; ++k) vm.assertEq(d[k], v.proof[k]);
            vm.assertEq(harness.proofToHash(d[0], d[1]), v.beta);
        }
    }

    function test_decodeProofRejectsMalformed() public {
        Vector memory v = _load(0);
        bytes memory shortPi = new bytes(80);
        vm.expectRevert(ECVRF.MalformedEncoding.selector);
        harness.decodeProof(shortPi);
        bytes memory badPrefix = v.pi;
        badPrefix[0] = 0x04;
        vm.expectRevert(ECVRF.MalformedEncoding.selector);
        harness.decodeProof(badPrefix);
    }

    function test_rejectsWrongKey() public view {
        Vector memory a = _load(2);
        Vector memory b = _load(3);
        a.pk = b.pk;
        (bool ok, bytes32 beta) = _verify(a);
        vm.assertFalse(ok);
        vm.assertEq(beta, bytes32(0));
    }

    function test_rejectsWrongMessage() public view {
        Vector memory v = _load(3);
        v.alpha = bytes("a different message");
        (bool ok,) = _verify(v);
        vm.assertFalse(ok);
    }

    function test_rejectsTamperedProofFields() public view {
        for (uint256 k; k < 4; ++k) {
            Vector memory v = _load(4);
            v.proof[k] ^= 1;
            (bool ok,) = _verify(v);
            vm.assertFalse(ok, "tampered proof field accepted");
        }
    }

    function test_rejectsTamperedWitness() public view {
        for (uint256 k; k < 8; ++k) {
            Vector memory v = _load(5);
            if (k == 0) v.w.u[0] ^= 1;
            if (k == 1) v.w.u[1] ^= 1;
            if (k == 2) v.w.sH[0] ^= 1;
            if (k == 3) v.w.sH[1] ^= 1;
            if (k == 4) v.w.cGamma[0] ^= 1;
            if (k == 5) v.w.cGamma[1] ^= 1;
            if (k == 6) v.w.v[0] ^= 1;
            if (k == 7) v.w.v[1] ^= 1;
            (bool ok,) = _verify(v);
            vm.assertFalse(ok, "tampered witness accepted");
        }
    }

    function test_rejectsNegatedGamma() public view {
        Vector memory v = _load(1);
        v.proof[1] = ECVRF.PP - v.proof[1]; // still on the curve, wrong point
        (bool ok,) = _verify(v);
        vm.assertFalse(ok);
    }

    function test_rejectsPointsOffCurve() public view {
        Vector memory v = _load(0);
        v.pk[1] = v.pk[1] + 1;
        (bool ok,) = _verify(v);
        vm.assertFalse(ok, "off-curve key accepted");
        v = _load(0);
        v.proof[0] = v.proof[0] + 1;
        (ok,) = _verify(v);
        vm.assertFalse(ok, "off-curve gamma accepted");
        v = _load(0);
        // An unreduced coordinate (x == PP) is rejected.
        v.pk[0] = ECVRF.PP;
        (ok,) = _verify(v);
        vm.assertFalse(ok, "unreduced key accepted");
    }

    function test_rejectsOutOfRangeScalars() public view {
        Vector memory v = _load(0);
        v.proof[2] = v.proof[2] | (uint256(1) << 128);
        (bool ok,) = _verify(v);
        vm.assertFalse(ok, "c >= 2^128 accepted");
        v = _load(0);
        v.proof[3] = ECVRF.NN;
        (ok,) = _verify(v);
        vm.assertFalse(ok, "s == n accepted");
        v = _load(0);
        v.proof[2] = 0;
        (ok,) = _verify(v);
        vm.assertFalse(ok, "c == 0 accepted");
    }

    /// @notice Fuzz: any single-bit flip anywhere in proof or witness is rejected.
    function testFuzz_bitFlipRejected(uint256 vectorSeed, uint256 field, uint8 bit) public view {
        Vector memory v = _load(bound(vectorSeed, 0, count - 1));
        field = bound(field, 0, 11);
        uint256 mask = uint256(1) << bit;
        if (field < 4) v.proof[field] ^= mask;
        else if (field < 6) v.w.u[field - 4] ^= mask;
        else if (field < 8) v.w.sH[field - 6] ^= mask;
        else if (field < 10) v.w.cGamma[field - 8] ^= mask;
        else v.w.v[field - 10] ^= mask;
        (bool ok,) = _verify(v);
        vm.assertFalse(ok);
    }

    /// @notice Fuzz: a random message never verifies under a golden proof.
    function testFuzz_randomAlphaRejected(uint256 vectorSeed, bytes calldata alpha) public view {
        Vector memory v = _load(bound(vectorSeed, 0, count - 1));
        vm.assume(keccak256(alpha) != keccak256(v.alpha));
        v.alpha = alpha;
        (bool ok,) = _verify(v);
        vm.assertFalse(ok);
    }
}
