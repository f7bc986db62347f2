// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ECVRF
/// @notice On-chain verifier for ECVRF-SECP256K1-SHA256-TAI proofs: the RFC 9381
///         (section 5) construction instantiated on secp256k1 with suite string 0xFE,
///         SHA-256, a 16-byte challenge and try-and-increment encode-to-curve.
///         Python counterpart (prover and witness builder): `agents/l1/vrf.py`.
/// @dev    Proof layout (decoded): `[gammaX, gammaY, c, s]`; the RFC byte string is
///         `compress(Gamma) || c (16 bytes) || s (32 bytes)`, see `decodeProof`.
///
///         Scalar multiplications are not computed: the prover supplies the points
///         `U = s*B - c*Y`, `s*H`, `c*Gamma` and `V = s*H - c*Gamma` (the `Witness`) and the
///         verifier checks them cheaply:
///           - `ecrecover(z, v, r, s')` returns the address of `r^-1 * (s'*R - z*G)` where
///             `R` is the point with x-coordinate `r` and y-parity `v - 27`. Choosing
///             `R = Y, r = Yx, s' = -c*Yx, z = -s*Yx` yields `s*G - c*Y = U`; choosing
///             `R = P, s' = k*Px, z = 0` yields `k*P`. Comparing with the address of the
///             supplied point authenticates it (keccak collision resistance).
///           - `V = s*H + (-c*Gamma)` is checked without a field inversion: `s*H`,
///             `-c*Gamma` and `-V` must be three distinct-x points on one line (a line
///             meets the curve in exactly three points, which then sum to zero).
///         A wrong witness can only make verification fail, never make a bad proof pass.
library ECVRF {
    /// @notice secp256k1 field modulus.
    uint256 internal constant PP = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
    /// @notice secp256k1 group order.
    uint256 internal constant NN = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    /// @dev (PP + 1) / 4: square roots mod PP (PP = 3 mod 4).
    uint256 private constant SQRT_EXP = 0x3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFBFFFFF0C;
    /// @notice Suite string of ECVRF-SECP256K1-SHA256-TAI.
    uint8 internal constant SUITE = 0xFE;

    /// @notice Helper points the prover supplies so that no scalar multiplication runs
    ///         on-chain. Each is an affine point `[x, y]`.
    /// @custom:field u      s*B - c*Y
    /// @custom:field sH     s*H (H = encode_to_curve(Y, alpha))
    /// @custom:field cGamma c*Gamma
    /// @custom:field v      s*H - c*Gamma
    struct Witness {
        uint256[2] u;
        uint256[2] sH;
        uint256[2] cGamma;
        uint256[2] v;
    }

    /// @notice Thrown by `decodeProof` / `decodePoint` on a malformed encoding.
    error MalformedEncoding();

    /// @notice Thrown by `hashToCurve` if no counter in [0, 255] gives a curve point
    ///         (probability about 2^-256).
    error HashToCurveFailed();

    // ---------------------------------------------------------------------------------
    // verification
    // ---------------------------------------------------------------------------------

    /// @notice Verify `proof` for `publicKey` and message `alpha`.
    /// @param publicKey The prover's affine public key `[x, y]`.
    /// @param proof     `[gammaX, gammaY, c, s]`.
    /// @param alpha     The VRF input.
    /// @param witness   The fast-verify helper points (see `Witness`).
    /// @return valid Whether the proof is valid.
    /// @return beta  The VRF output `proof_to_hash(Gamma)` (zero when invalid).
    function verify(
        uint256[2] memory publicKey,
        uint256[4] memory proof,
        bytes memory alpha,
        Witness memory witness
    ) internal view returns (bool valid, bytes32 beta) {
        // INVARIANT: key and Gamma are curve points; c fits 16 bytes; 0 < c, 0 < s < n.
        if (!isOnCurve(publicKey[0], publicKey[1]) || !isOnCurve(proof[0], proof[1])) {
            return (false, bytes32(0));
        }
        if (proof[2] == 0 || proof[2] >> 128 != 0 || proof[3] == 0 || proof[3] >= NN) {
            return (false, bytes32(0));
        }
        (uint256 hx, uint256 hy) = hashToCurve(publicKey, alpha);

        // INVARIANT: U = s*B - c*Y.
        if (!_checkU(publicKey, proof[2], proof[3], witness.u)) return (false, bytes32(0));
        // INVARIANT: sH = s*H and cGamma = c*Gamma.
        if (!ecmulVerify(hx, hy, proof[3], witness.sH)) return (false, bytes32(0));
        if (!ecmulVerify(proof[0], proof[1], proof[2], witness.cGamma)) return (false, bytes32(0));
        // INVARIANT: V = sH - cGamma.
        if (!_checkSub(witness.sH, witness.cGamma, witness.v)) return (false, bytes32(0));

        // INVARIANT: c == challenge(Y, H, Gamma, U, V).
        bytes32 digest = sha256(
            abi.encodePacked(
                SUITE,
                uint8(0x02),
                _compress(publicKey[0], publicKey[1]),
                _compress(hx, hy),
                _compress(proof[0], proof[1]),
                _compress(witness.u[0], witness.u[1]),
                _compress(witness.v[0], witness.v[1]),
                uint8(0x00)
            )
        );
        if (uint256(digest) >> 128 != proof[2]) return (false, bytes32(0));
        return (true, proofToHash(proof[0], proof[1]));
    }

    /// @notice ECVRF_proof_to_hash: `beta = SHA256(0xFE || 0x03 || compress(Gamma) || 0x00)`.
    function proofToHash(uint256 gammaX, uint256 gammaY) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(SUITE, uint8(0x03), _compress(gammaX, gammaY), uint8(0x00)));
    }

    // ---------------------------------------------------------------------------------
    // encode to curve (RFC 9381 5.4.1.1, try and increment)
    // ---------------------------------------------------------------------------------

    /// @notice `H = encode_to_curve(salt = compress(Y), alpha)`: the first counter
    ///         `ctr` for which `0x02 || SHA256(0xFE || 0x01 || salt || alpha || ctr || 0x00)`
    ///         decodes to a point.
    function hashToCurve(uint256[2] memory publicKey, bytes memory alpha)
        internal
        view
        returns (uint256 hx, uint256 hy)
    {
        bytes memory salt = _compress(publicKey[0], publicKey[1]);
        for (uint256 ctr; ctr < 256; ++ctr) {
            uint256 x = uint256(sha256(abi.encodePacked(SUITE, uint8(0x01), salt, alpha, uint8(ctr), uint8(0x00))));
            if (x >= PP) continue;
            uint256 y2 = addmod(mulmod(mulmod(x, x, PP), x, PP), 7, PP);
            uint256 y = _sqrt(y2);
            if (mulmod(y, y, PP) != y2) continue;
            // 0x02 prefix: the even root.
            return (x, y & 1 == 0 ? y : PP - y);
        }
        revert HashToCurveFailed();
    }

    // ---------------------------------------------------------------------------------
    // curve helpers
    // ---------------------------------------------------------------------------------

    /// @notice Whether `(x, y)` is a finite point of secp256k1 with reduced coordinates.
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= PP || y >= PP) return false;
        return mulmod(y, y, PP) == addmod(mulmod(mulmod(x, x, PP), x, PP), 7, PP);
    }

    /// @notice Check `q == k * p` with one `ecrecover` call.
    function ecmulVerify(uint256 px, uint256 py, uint256 k, uint256[2] memory q) internal pure returns (bool) {
        // INVARIANT: ecrecover needs 0 < r < n and 0 < s' < n.
        if (px == 0 || px >= NN) return false;
        uint256 sv = mulmod(k, px, NN);
        if (sv == 0) return false;
        address got = ecrecover(bytes32(0), uint8(27 + (py & 1)), bytes32(px), bytes32(sv));
        return got != address(0) && got == pointAddress(q[0], q[1]);
    }

    /// @notice The Ethereum address of a point: low 20 bytes of keccak256(x || y).
    function pointAddress(uint256 x, uint256 y) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(x, y)))));
    }

    /// @notice Decode the 81-byte RFC 9381 proof string into `[gammaX, gammaY, c, s]`.
    function decodeProof(bytes memory pi) internal view returns (uint256[4] memory proof) {
        if (pi.length != 81) revert MalformedEncoding();
        uint8 prefix = uint8(pi[0]);
        uint256 gx;
        uint256 cs;
        uint256 s;
        assembly ("memory-safe") {
            gx := mload(add(pi, 33))
            cs := mload(add(pi, 65))
            s := mload(add(pi, 81))
        }
        (proof[0], proof[1]) = decodePoint(prefix, gx);
        proof[2] = cs >> 128;
        proof[3] = s;
        if (s >= NN) revert MalformedEncoding();
    }

    /// @notice Decompress a SEC1 point given its prefix byte (2 or 3) and x-coordinate.
    function decodePoint(uint8 prefix, uint256 x) internal view returns (uint256, uint256) {
        if ((prefix != 2 && prefix != 3) || x >= PP) revert MalformedEncoding();
        uint256 y2 = addmod(mulmod(mulmod(x, x, PP), x, PP), 7, PP);
        uint256 y = _sqrt(y2);
        if (mulmod(y, y, PP) != y2) revert MalformedEncoding();
        if (y & 1 != prefix & 1) y = PP - y;
        return (x, y);
    }

    // ---------------------------------------------------------------------------------
    // private
    // ---------------------------------------------------------------------------------

    /// @dev U = s*B - c*Y via ecrecover(z = -s*Yx, v = parity(Y), r = Yx, s' = -c*Yx).
    function _checkU(uint256[2] memory y, uint256 c, uint256 s, uint256[2] memory u) private pure returns (bool) {
        if (y[0] == 0 || y[0] >= NN) return false;
        uint256 z = NN - mulmod(s, y[0], NN);
        uint256 sv = NN - mulmod(c, y[0], NN);
        // c, s, Yx are non-zero mod n (n prime), so z and sv are in [1, n-1].
        address got = ecrecover(bytes32(z), uint8(27 + (y[1] & 1)), bytes32(y[0]), bytes32(sv));
        return got != address(0) && got == pointAddress(u[0], u[1]);
    }

    /// @dev Check r = a - b for authenticated points a, b and a claimed curve point r:
    ///      a, -b and -r must be collinear with pairwise distinct x-coordinates.
    function _checkSub(uint256[2] memory a, uint256[2] memory b, uint256[2] memory r) private pure returns (bool) {
        if (!isOnCurve(r[0], r[1])) return false;
        if (a[0] == b[0] || a[0] == r[0] || b[0] == r[0]) return false;
        uint256 nby = PP - b[1]; // -b
        uint256 nry = PP - r[1]; // -r
        // (nby - ay) * (rx - ax) == (nry - ay) * (bx - ax)   (mod PP)
        uint256 lhs = mulmod(addmod(nby, PP - a[1], PP), addmod(r[0], PP - a[0], PP), PP);
        uint256 rhs = mulmod(addmod(nry, PP - a[1], PP), addmod(b[0], PP - a[0], PP), PP);
        return lhs == rhs;
    }

    /// @dev SEC1 compressed encoding (33 bytes).
    function _compress(uint256 x, uint256 y) private pure returns (bytes memory) {
        return abi.encodePacked(uint8(2 + (y & 1)), x);
    }

    /// @dev a^((PP+1)/4) mod PP through the modexp precompile (a square root if one exists).
    function _sqrt(uint256 a) private view returns (uint256 r) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 32)
            mstore(add(m, 0x20), 32)
            mstore(add(m, 0x40), 32)
            mstore(add(m, 0x60), a)
            mstore(add(m, 0x80), SQRT_EXP)
            mstore(add(m, 0xa0), PP)
            if iszero(staticcall(gas(), 0x05, m, 0xc0, m, 0x20)) { revert(0, 0) }
            r := mload(m)
        }
    }
}
