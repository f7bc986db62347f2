// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Secp256k1PublicKey
/// @notice Validation and canonical identification of secp256k1 public keys given as
///         bytes, for the sequencer registry's operator signing keys.
/// @dev Accepted encodings:
///      - 33 bytes, compressed: `0x02 | x` (even y) or `0x03 | x` (odd y);
///      - 64 bytes, raw uncompressed: `x | y`;
///      - 65 bytes, SEC1 uncompressed: `0x04 | x | y`.
///      A key is valid when its coordinates are field elements and the point lies on
///      y^2 = x^3 + 7 (for compressed keys: when x^3 + 7 is a quadratic residue, checked
///      with Euler's criterion through the MODEXP precompile). The curve has prime order
///      and cofactor 1, so every such point other than infinity is a valid public key.
///      The canonical id of a key is keccak256 of its 33-byte compressed form, so the
///      three encodings of one key share one id.
library Secp256k1PublicKey {
    /// @dev The field prime p of secp256k1.
    uint256 internal constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;

    /// @notice Validate `key` and return its canonical id.
    /// @param key The public key in one of the accepted encodings.
    /// @return valid Whether `key` is a well-formed point on the curve.
    /// @return id keccak256 of the compressed encoding (zero when invalid).
    function validate(bytes calldata key) internal view returns (bool valid, bytes32 id) {
        uint256 len = key.length;
        uint256 x;
        uint256 parity;
        if (len == 33) {
            uint8 prefix = uint8(key[0]);
            if (prefix != 2 && prefix != 3) return (false, bytes32(0));
            x = uint256(bytes32(key[1:33]));
            if (x >= P) return (false, bytes32(0));
            uint256 rhs = addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
            if (!_isQuadraticResidue(rhs)) return (false, bytes32(0));
            parity = prefix - 2;
        } else if (len == 64 || len == 65) {
            uint256 o = len - 64;
            if (o == 1 && uint8(key[0]) != 4) return (false, bytes32(0));
            x = uint256(bytes32(key[o:o + 32]));
            uint256 y = uint256(bytes32(key[o + 32:o + 64]));
            if (x >= P || y >= P) return (false, bytes32(0));
            if (mulmod(y, y, P) != addmod(mulmod(mulmod(x, x, P), x, P), 7, P)) return (false, bytes32(0));
            parity = y & 1;
        } else {
            return (false, bytes32(0));
        }
        return (true, keccak256(abi.encodePacked(uint8(2 + parity), bytes32(x))));
    }

    /// @dev Euler's criterion: a is a non-zero square mod P iff a^((P-1)/2) == 1.
    function _isQuadraticResidue(uint256 a) private view returns (bool) {
        uint256[6] memory input = [uint256(32), 32, 32, a, (P - 1) / 2, P];
        uint256[1] memory output;
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x05, input, 0xc0, output, 0x20)
        }
        return ok && output[0] == 1;
    }
}
