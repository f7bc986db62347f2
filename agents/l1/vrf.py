"""ECVRF-SECP256K1-SHA256-TAI: prover, verifier and the on-chain helper values.

The construction follows RFC 9381 (section 5) instantiated on secp256k1, the way the
``ECVRF-SECP256K1-SHA256-TAI`` suite of the CFRG drafts did:

* suite string ``0xFE`` (RFC 9381 defines no secp256k1 suite; ``0xFE`` is the value
  the drafts and the vrf-solidity family use);
* hash ``SHA-256``; ``cLen = 16`` bytes, ``qLen = ptLen - 1 = 32`` bytes;
* points as SEC1 compressed strings (33 bytes);
* encode-to-curve by try-and-increment (RFC 9381 section 5.4.1.1) with the public key
  as the salt;
* nonce by RFC 6979 section 3.2 (RFC 9381 section 5.4.2.1);
* challenge ``c = SHA256(suite || 0x02 || Y || H || Gamma || U || V || 0x00)[:16]``;
* output ``beta = SHA256(suite || 0x03 || Gamma || 0x00)`` (cofactor 1).

A proof ``pi`` is ``Gamma (33 bytes) || c (16 bytes) || s (32 bytes)`` = 81 bytes.

The Solidity verifier (``contracts/lib/ECVRF.sol``) takes the decoded proof
``[gamma_x, gamma_y, c, s]`` plus "fast verify" witness points that let it check the
scalar multiplications with the ``ecrecover`` precompile instead of doing them:
``U = s*B - c*Y``, ``s*H``, ``c*Gamma`` and ``V = s*H - c*Gamma`` (see
:func:`fast_verify_params`). The witness only saves gas: a wrong witness makes the
on-chain verification fail, it can never make a wrong proof pass.

The sampling rule the ExecutionLayerRegistry applies to the VRF output is mirrored
here (:func:`multi_token_weight`, :func:`weighted_sample`) so that off-chain agents can
predict and cross-check a selection.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from Crypto.Hash import keccak as _keccak

# ---------------------------------------------------------------------------------------
# secp256k1
# ---------------------------------------------------------------------------------------

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8
B = 7

SUITE = b"\xfe"
C_LEN = 16
Q_LEN = 32
PROOF_LEN = 33 + C_LEN + Q_LEN

Point = tuple[int, int] | None  # affine point, None is the point at infinity
G: Point = (GX, GY)


def is_on_curve(pt: Point) -> bool:
    """Whether ``pt`` is a finite affine point of secp256k1 (coordinates reduced)."""
    if pt is None:
        return False
    x, y = pt
    if not (0 <= x < P and 0 <= y < P):
        return False
    return (y * y - x * x * x - B) % P == 0


def _jac_double(p: tuple[int, int, int]) -> tuple[int, int, int]:
    x, y, z = p
    if y == 0 or z == 0:
        return (0, 1, 0)
    ysq = y * y % P
    s = 4 * x * ysq % P
    m = 3 * x * x % P
    nx = (m * m - 2 * s) % P
    ny = (m * (s - nx) - 8 * ysq * ysq) % P
    nz = 2 * y * z % P
    return (nx, ny, nz)


def _jac_add(p: tuple[int, int, int], q: tuple[int, int, int]) -> tuple[int, int, int]:
    if p[2] == 0:
        return q
    if q[2] == 0:
        return p
    x1, y1, z1 = p
    x2, y2, z2 = q
    z1s = z1 * z1 % P
    z2s = z2 * z2 % P
    u1 = x1 * z2s % P
    u2 = x2 * z1s % P
    s1 = y1 * z2s * z2 % P
    s2 = y2 * z1s * z1 % P
    if u1 == u2:
        if s1 != s2:
            return (0, 1, 0)
        return _jac_double(p)
    h = (u2 - u1) % P
    r = (s2 - s1) % P
    h2 = h * h % P
    h3 = h * h2 % P
    u1h2 = u1 * h2 % P
    nx = (r * r - h3 - 2 * u1h2) % P
    ny = (r * (u1h2 - nx) - s1 * h3) % P
    nz = h * z1 * z2 % P
    return (nx, ny, nz)


def _to_affine(p: tuple[int, int, int]) -> Point:
    x, y, z = p
    if z == 0:
        return None
    zi = pow(z, -1, P)
    zi2 = zi * zi % P
    return (x * zi2 % P, y * zi2 * zi % P)


def point_add(a: Point, b: Point) -> Point:
    """Affine point addition (None is infinity)."""
    if a is None:
        return b
    if b is None:
        return a
    return _to_affine(_jac_add((a[0], a[1], 1), (b[0], b[1], 1)))


def point_neg(a: Point) -> Point:
    if a is None:
        return None
    return (a[0], (-a[1]) % P)


def scalar_mult(k: int, pt: Point) -> Point:
    """``k * pt`` by double-and-add in Jacobian coordinates."""
    k %= N
    if k == 0 or pt is None:
        return None
    acc = (0, 1, 0)
    add = (pt[0], pt[1], 1)
    for bit in bin(k)[2:]:
        acc = _jac_double(acc)
        if bit == "1":
            acc = _jac_add(acc, add)
    return _to_affine(acc)


# ---------------------------------------------------------------------------------------
# encodings
# ---------------------------------------------------------------------------------------


def int_to_string(x: int, length: int) -> bytes:
    return x.to_bytes(length, "big")


def point_to_string(pt: Point) -> bytes:
    """SEC1 compressed encoding (33 bytes)."""
    if pt is None:
        raise ValueError("cannot encode the point at infinity")
    return bytes([2 + (pt[1] & 1)]) + int_to_string(pt[0], 32)


def _sqrt_mod_p(a: int) -> int | None:
    r = pow(a, (P + 1) // 4, P)
    return r if r * r % P == a % P else None


def string_to_point(data: bytes) -> Point:
    """Decode a SEC1 compressed point; returns None if it is not a valid point."""
    if len(data) != 33 or data[0] not in (2, 3):
        return None
    x = int.from_bytes(data[1:], "big")
    if x >= P:
        return None
    y = _sqrt_mod_p((x * x * x + B) % P)
    if y is None:
        return None
    if (y & 1) != (data[0] & 1):
        y = P - y
    return (x, y)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def keccak256(data: bytes) -> bytes:
    h = _keccak.new(digest_bits=256)
    h.update(data)
    return h.digest()


# ---------------------------------------------------------------------------------------
# keys
# ---------------------------------------------------------------------------------------


def public_key(secret_key: int) -> tuple[int, int]:
    """The public key ``Y = x*B`` of secret scalar ``x`` (1 <= x < N)."""
    if not 1 <= secret_key < N:
        raise ValueError("secret key out of range")
    pt = scalar_mult(secret_key, G)
    assert pt is not None
    return pt


def keygen(seed: bytes) -> tuple[int, tuple[int, int]]:
    """Deterministic key pair from ``seed`` (secret = SHA256-derived scalar in [1, N))."""
    ctr = 0
    while True:
        x = int.from_bytes(sha256(b"altrollup-vrf-key" + seed + bytes([ctr])), "big")
        if 1 <= x < N:
            return x, public_key(x)
        ctr += 1


def random_keygen() -> tuple[int, tuple[int, int]]:
    """Fresh key pair from the OS random source."""
    import secrets

    while True:
        x = secrets.randbelow(N)
        if x:
            return x, public_key(x)


# ---------------------------------------------------------------------------------------
# RFC 9381 building blocks
# ---------------------------------------------------------------------------------------


def encode_to_curve(public: tuple[int, int], alpha: bytes) -> tuple[tuple[int, int], int]:
    """Try-and-increment (RFC 9381 5.4.1.1). Returns ``(H, ctr)``."""
    salt = point_to_string(public)
    for ctr in range(256):
        digest = sha256(SUITE + b"\x01" + salt + alpha + bytes([ctr]) + b"\x00")
        pt = string_to_point(b"\x02" + digest)
        if pt is not None:
            return pt, ctr
    raise ValueError("encode_to_curve: no valid point after 256 attempts")


def _bits2int(data: bytes) -> int:
    return int.from_bytes(data, "big")  # qlen == 256 == hlen, no shift


def _int2octets(x: int) -> bytes:
    return x.to_bytes(32, "big")


def _bits2octets(data: bytes) -> bytes:
    z1 = _bits2int(data)
    return _int2octets(z1 % N)


def nonce_rfc6979(secret_key: int, h_string: bytes) -> int:
    """RFC 6979 section 3.2 nonce with ``h1 = SHA256(h_string)`` (RFC 9381 5.4.2.1)."""
    h1 = sha256(h_string)
    v = b"\x01" * 32
    k = b"\x00" * 32
    x_oct = _int2octets(secret_key)
    h_oct = _bits2octets(h1)
    k = hmac.new(k, v + b"\x00" + x_oct + h_oct, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x_oct + h_oct, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        cand = _bits2int(v)
        if 1 <= cand < N:
            return cand
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def challenge(*points: Point) -> int:
    """``c = SHA256(suite || 0x02 || P1 || ... || P5 || 0x00)`` truncated to 16 bytes."""
    data = SUITE + b"\x02" + b"".join(point_to_string(p) for p in points) + b"\x00"
    return int.from_bytes(sha256(data)[:C_LEN], "big")


# ---------------------------------------------------------------------------------------
# prove / verify
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    """A decoded ECVRF proof: ``Gamma`` (affine), ``c`` (< 2**128), ``s`` (< N)."""

    gamma: tuple[int, int]
    c: int
    s: int

    def to_bytes(self) -> bytes:
        """``Gamma || c || s``, 81 bytes (RFC 9381 ``pi_string``)."""
        return (
            point_to_string(self.gamma)
            + int_to_string(self.c, C_LEN)
            + int_to_string(self.s, Q_LEN)
        )

    @classmethod
    def from_bytes(cls, pi: bytes) -> Proof:
        if len(pi) != PROOF_LEN:
            raise ValueError("proof must be 81 bytes")
        gamma = string_to_point(pi[:33])
        if gamma is None:
            raise ValueError("proof: Gamma is not a curve point")
        c = int.from_bytes(pi[33 : 33 + C_LEN], "big")
        s = int.from_bytes(pi[33 + C_LEN :], "big")
        if s >= N:
            raise ValueError("proof: s out of range")
        return cls(gamma, c, s)

    def as_uint4(self) -> list[int]:
        """The layout ``ECVRF.verify`` takes: ``[gamma_x, gamma_y, c, s]``."""
        return [self.gamma[0], self.gamma[1], self.c, self.s]


def prove(secret_key: int, alpha: bytes) -> Proof:
    """ECVRF_prove (RFC 9381 5.1)."""
    y = public_key(secret_key)
    h, _ = encode_to_curve(y, alpha)
    gamma = scalar_mult(secret_key, h)
    assert gamma is not None
    k = nonce_rfc6979(secret_key, point_to_string(h))
    c = challenge(y, h, gamma, scalar_mult(k, G), scalar_mult(k, h))
    s = (k + c * secret_key) % N
    return Proof(gamma, c, s)


def proof_to_hash(proof: Proof | bytes) -> bytes:
    """ECVRF_proof_to_hash (RFC 9381 5.2): ``beta`` (32 bytes)."""
    if isinstance(proof, bytes):
        proof = Proof.from_bytes(proof)
    return sha256(SUITE + b"\x03" + point_to_string(proof.gamma) + b"\x00")


def vrf_output(secret_key: int, alpha: bytes) -> bytes:
    """``beta`` without building the full proof (Gamma only): for simulations."""
    h, _ = encode_to_curve(public_key(secret_key), alpha)
    return sha256(SUITE + b"\x03" + point_to_string(scalar_mult(secret_key, h)) + b"\x00")


def _u_v(public: tuple[int, int], proof: Proof, h: Point) -> tuple[Point, Point, Point, Point]:
    u = point_add(scalar_mult(proof.s, G), point_neg(scalar_mult(proof.c, public)))
    s_h = scalar_mult(proof.s, h)
    c_gamma = scalar_mult(proof.c, proof.gamma)
    v = point_add(s_h, point_neg(c_gamma))
    return u, s_h, c_gamma, v


def verify(public: tuple[int, int], proof: Proof | bytes, alpha: bytes) -> bytes | None:
    """ECVRF_verify (RFC 9381 5.3). Returns ``beta`` if valid, else None."""
    if not is_on_curve(public):
        return None
    if isinstance(proof, bytes):
        try:
            proof = Proof.from_bytes(proof)
        except ValueError:
            return None
    if not is_on_curve(proof.gamma) or proof.c >= 1 << (8 * C_LEN) or proof.s >= N:
        return None
    h, _ = encode_to_curve(public, alpha)
    u, _, _, v = _u_v(public, proof, h)
    if u is None or v is None:
        return None
    if challenge(public, h, proof.gamma, u, v) != proof.c:
        return None
    return proof_to_hash(proof)


@dataclass(frozen=True)
class FastVerifyParams:
    """Witness points for ``ECVRF.verify``: ``U``, ``s*H``, ``c*Gamma``, ``V``."""

    u: tuple[int, int]
    s_h: tuple[int, int]
    c_gamma: tuple[int, int]
    v: tuple[int, int]

    def as_abi(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """The ``ECVRF.Witness`` struct as a web3/eth-abi tuple."""
        return (list(self.u), list(self.s_h), list(self.c_gamma), list(self.v))

    def as_uint8(self) -> list[int]:
        return [*self.u, *self.s_h, *self.c_gamma, *self.v]


def fast_verify_params(public: tuple[int, int], proof: Proof, alpha: bytes) -> FastVerifyParams:
    """Compute the witness the Solidity verifier checks with ``ecrecover``."""
    h, _ = encode_to_curve(public, alpha)
    u, s_h, c_gamma, v = _u_v(public, proof, h)
    if u is None or s_h is None or c_gamma is None or v is None:
        raise ValueError("degenerate proof: a witness point is at infinity")
    return FastVerifyParams(u, s_h, c_gamma, v)


def solidity_args(
    public: tuple[int, int], proof: Proof, alpha: bytes
) -> tuple[list[int], list[int], tuple[list[int], list[int], list[int], list[int]]]:
    """``(publicKey[2], proof[4], witness)`` as passed to ``ECVRF.verify`` / the registry."""
    return list(public), proof.as_uint4(), fast_verify_params(public, proof, alpha).as_abi()


# ---------------------------------------------------------------------------------------
# ExecutionLayerRegistry selection rule (mirrors contracts/ExecutionLayerRegistry.sol)
# ---------------------------------------------------------------------------------------

WEIGHT_UNIT = 10**18
MAX_TOKEN_WEIGHT = (1 << 128) - 1


def multi_token_weight(stakes: Sequence[int], min_stakes: Sequence[int]) -> int:
    """Weight of an operator: sum over allowed tokens whose stake meets the minimum of
    ``min(stake * 1e18 // minStake, 2**128 - 1)``. Zero means "not eligible"."""
    total = 0
    for stake, minimum in zip(stakes, min_stakes, strict=True):
        if stake >= minimum:
            if stake > MAX_TOKEN_WEIGHT:
                part = MAX_TOKEN_WEIGHT
            else:
                part = min(stake * WEIGHT_UNIT // minimum, MAX_TOKEN_WEIGHT)
            total += part
    return total


def selection_count(min_seq: int, max_seq: int, eligible: int) -> int:
    """``max(min, min(max, eligible))`` — the contract reverts if eligible < min."""
    return max(min_seq, min(max_seq, eligible))


def weighted_sample(beta: bytes, weights: Sequence[int], count: int) -> list[int]:
    """Indices chosen by the registry's weighted sampling without replacement.

    Draw ``i`` (0-based): ``r = uint256(keccak256(beta || uint256(i))) % remainingTotal``;
    walk the operators in registry order, skipping already chosen ones and zero
    weights, and pick the first whose cumulative weight exceeds ``r``.
    """
    w = list(weights)
    total = sum(w)
    chosen: list[int] = []
    for i in range(count):
        if total == 0:
            raise ValueError("not enough weight left to draw")
        r = int.from_bytes(keccak256(beta + i.to_bytes(32, "big")), "big") % total
        acc = 0
        for j, wj in enumerate(w):
            if wj == 0:
                continue
            acc += wj
            if r < acc:
                chosen.append(j)
                total -= wj
                w[j] = 0
                break
    return chosen


def selection_alpha(chain_id: int, registry: str, rollup_id: int, seed_block_hash: bytes) -> bytes:
    """``alpha = keccak256(abi.encode(chainid, registry, rollupId, seedBlockHash))``."""
    data = (
        chain_id.to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex(registry[2:] if registry.startswith("0x") else registry)
        + rollup_id.to_bytes(32, "big")
        + seed_block_hash
    )
    return keccak256(data)
