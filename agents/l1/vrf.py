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
# curves and suites
# ---------------------------------------------------------------------------------------

Point = tuple[int, int] | None  # affine point, None is the point at infinity


@dataclass(frozen=True)
class Curve:
    """A short Weierstrass curve ``y^2 = x^3 + a*x + b`` over GF(p), prime order n,
    with ``p = 3 (mod 4)`` (square roots by one exponentiation)."""

    name: str
    p: int
    a: int
    b: int
    n: int
    gx: int
    gy: int

    @property
    def g(self) -> tuple[int, int]:
        return (self.gx, self.gy)


SECP256K1 = Curve(
    "secp256k1",
    p=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F,
    a=0,
    b=7,
    n=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
    gx=0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    gy=0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)

#: NIST P-256: only used to check this implementation against RFC 9381's published
#: ECVRF-P256-SHA256-TAI vectors (same construction, different curve and suite byte).
P256 = Curve(
    "P-256",
    p=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
    a=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,
    b=0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    n=0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    gx=0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    gy=0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)


@dataclass(frozen=True)
class Suite:
    """An ECVRF TAI ciphersuite with SHA-256, cLen = 16, qLen = 32, cofactor 1."""

    curve: Curve
    suite_string: bytes


#: The suite this project uses on-chain (suite string 0xFE, as in the CFRG drafts).
SECP256K1_TAI = Suite(SECP256K1, b"\xfe")
#: RFC 9381 section 5.5 ECVRF-P256-SHA256-TAI (suite string 0x01).
P256_TAI = Suite(P256, b"\x01")

# secp256k1 shorthands (the module's default suite)
P = SECP256K1.p
N = SECP256K1.n
GX = SECP256K1.gx
GY = SECP256K1.gy
B = SECP256K1.b
G: Point = SECP256K1.g
SUITE = SECP256K1_TAI.suite_string
C_LEN = 16
Q_LEN = 32
PROOF_LEN = 33 + C_LEN + Q_LEN


def is_on_curve(pt: Point, curve: Curve = SECP256K1) -> bool:
    """Whether ``pt`` is a finite affine point of ``curve`` (coordinates reduced)."""
    if pt is None:
        return False
    x, y = pt
    p = curve.p
    if not (0 <= x < p and 0 <= y < p):
        return False
    return (y * y - x * x * x - curve.a * x - curve.b) % p == 0


_Jac = tuple[int, int, int]


def _jac_double(pt: _Jac, curve: Curve) -> _Jac:
    x, y, z = pt
    p = curve.p
    if y == 0 or z == 0:
        return (0, 1, 0)
    ysq = y * y % p
    s = 4 * x * ysq % p
    m = (3 * x * x + curve.a * pow(z, 4, p)) % p
    nx = (m * m - 2 * s) % p
    ny = (m * (s - nx) - 8 * ysq * ysq) % p
    nz = 2 * y * z % p
    return (nx, ny, nz)


def _jac_add(a: _Jac, b: _Jac, curve: Curve) -> _Jac:
    if a[2] == 0:
        return b
    if b[2] == 0:
        return a
    p = curve.p
    x1, y1, z1 = a
    x2, y2, z2 = b
    z1s = z1 * z1 % p
    z2s = z2 * z2 % p
    u1 = x1 * z2s % p
    u2 = x2 * z1s % p
    s1 = y1 * z2s * z2 % p
    s2 = y2 * z1s * z1 % p
    if u1 == u2:
        if s1 != s2:
            return (0, 1, 0)
        return _jac_double(a, curve)
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    h2 = h * h % p
    h3 = h * h2 % p
    u1h2 = u1 * h2 % p
    nx = (r * r - h3 - 2 * u1h2) % p
    ny = (r * (u1h2 - nx) - s1 * h3) % p
    nz = h * z1 * z2 % p
    return (nx, ny, nz)


def _to_affine(pt: _Jac, curve: Curve) -> Point:
    x, y, z = pt
    if z == 0:
        return None
    p = curve.p
    zi = pow(z, -1, p)
    zi2 = zi * zi % p
    return (x * zi2 % p, y * zi2 * zi % p)


def point_add(a: Point, b: Point, curve: Curve = SECP256K1) -> Point:
    """Affine point addition (None is infinity)."""
    if a is None:
        return b
    if b is None:
        return a
    return _to_affine(_jac_add((a[0], a[1], 1), (b[0], b[1], 1), curve), curve)


def point_neg(a: Point, curve: Curve = SECP256K1) -> Point:
    if a is None:
        return None
    return (a[0], (-a[1]) % curve.p)


def scalar_mult(k: int, pt: Point, curve: Curve = SECP256K1) -> Point:
    """``k * pt`` by double-and-add in Jacobian coordinates."""
    k %= curve.n
    if k == 0 or pt is None:
        return None
    acc: _Jac = (0, 1, 0)
    add: _Jac = (pt[0], pt[1], 1)
    for bit in bin(k)[2:]:
        acc = _jac_double(acc, curve)
        if bit == "1":
            acc = _jac_add(acc, add, curve)
    return _to_affine(acc, curve)


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


def _sqrt_mod_p(a: int, curve: Curve = SECP256K1) -> int | None:
    p = curve.p
    r = pow(a, (p + 1) // 4, p)
    return r if r * r % p == a % p else None


def string_to_point(data: bytes, curve: Curve = SECP256K1) -> Point:
    """Decode a SEC1 compressed point; returns None if it is not a valid point."""
    if len(data) != 33 or data[0] not in (2, 3):
        return None
    x = int.from_bytes(data[1:], "big")
    p = curve.p
    if x >= p:
        return None
    y = _sqrt_mod_p((x * x * x + curve.a * x + curve.b) % p, curve)
    if y is None:
        return None
    if (y & 1) != (data[0] & 1):
        y = (p - y) % p
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


def public_key(secret_key: int, suite: Suite = SECP256K1_TAI) -> tuple[int, int]:
    """The public key ``Y = x*B`` of secret scalar ``x`` (1 <= x < n)."""
    curve = suite.curve
    if not 1 <= secret_key < curve.n:
        raise ValueError("secret key out of range")
    pt = scalar_mult(secret_key, curve.g, curve)
    assert pt is not None
    return pt


def keygen(seed: bytes) -> tuple[int, tuple[int, int]]:
    """Deterministic secp256k1 key pair from ``seed`` (SHA256-derived scalar in [1, N))."""
    ctr = 0
    while True:
        x = int.from_bytes(sha256(b"altrollup-vrf-key" + seed + bytes([ctr])), "big")
        if 1 <= x < N:
            return x, public_key(x)
        ctr += 1


def random_keygen() -> tuple[int, tuple[int, int]]:
    """Fresh secp256k1 key pair from the OS random source."""
    import secrets

    while True:
        x = secrets.randbelow(N)
        if x:
            return x, public_key(x)


# ---------------------------------------------------------------------------------------
# RFC 9381 building blocks
# ---------------------------------------------------------------------------------------


def encode_to_curve(
    public: tuple[int, int], alpha: bytes, suite: Suite = SECP256K1_TAI
) -> tuple[tuple[int, int], int]:
    """Try-and-increment (RFC 9381 5.4.1.1) with salt ``point_to_string(Y)``.
    Returns ``(H, ctr)``."""
    salt = point_to_string(public)
    for ctr in range(256):
        digest = sha256(suite.suite_string + b"\x01" + salt + alpha + bytes([ctr]) + b"\x00")
        pt = string_to_point(b"\x02" + digest, suite.curve)
        if pt is not None:
            return pt, ctr
    raise ValueError("encode_to_curve: no valid point after 256 attempts")


def nonce_rfc6979(secret_key: int, h_string: bytes, suite: Suite = SECP256K1_TAI) -> int:
    """RFC 6979 section 3.2 nonce with ``h1 = SHA256(h_string)`` (RFC 9381 5.4.2.1).
    qlen = hlen = 256, so bits2int is a plain big-endian read."""
    n = suite.curve.n
    h1 = sha256(h_string)
    x_oct = secret_key.to_bytes(32, "big")
    h_oct = (int.from_bytes(h1, "big") % n).to_bytes(32, "big")  # bits2octets
    v = b"\x01" * 32
    k = b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x_oct + h_oct, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x_oct + h_oct, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        cand = int.from_bytes(v, "big")
        if 1 <= cand < n:
            return cand
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def challenge(*points: Point, suite: Suite = SECP256K1_TAI) -> int:
    """``c = SHA256(suite || 0x02 || P1 || ... || P5 || 0x00)`` truncated to 16 bytes."""
    data = suite.suite_string + b"\x02" + b"".join(point_to_string(p) for p in points) + b"\x00"
    return int.from_bytes(sha256(data)[:C_LEN], "big")


# ---------------------------------------------------------------------------------------
# prove / verify
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    """A decoded ECVRF proof: ``Gamma`` (affine), ``c`` (< 2**128), ``s`` (< n)."""

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
    def from_bytes(cls, pi: bytes, suite: Suite = SECP256K1_TAI) -> Proof:
        """ECVRF_decode_proof (RFC 9381 5.4.4); raises ValueError when invalid."""
        if len(pi) != PROOF_LEN:
            raise ValueError("proof must be 81 bytes")
        gamma = string_to_point(pi[:33], suite.curve)
        if gamma is None:
            raise ValueError("proof: Gamma is not a curve point")
        c = int.from_bytes(pi[33 : 33 + C_LEN], "big")
        s = int.from_bytes(pi[33 + C_LEN :], "big")
        if s >= suite.curve.n:
            raise ValueError("proof: s out of range")
        return cls(gamma, c, s)

    def as_uint4(self) -> list[int]:
        """The layout ``ECVRF.verify`` takes: ``[gamma_x, gamma_y, c, s]``."""
        return [self.gamma[0], self.gamma[1], self.c, self.s]


def prove(secret_key: int, alpha: bytes, suite: Suite = SECP256K1_TAI) -> Proof:
    """ECVRF_prove (RFC 9381 5.1)."""
    curve = suite.curve
    y = public_key(secret_key, suite)
    h, _ = encode_to_curve(y, alpha, suite)
    gamma = scalar_mult(secret_key, h, curve)
    assert gamma is not None
    k = nonce_rfc6979(secret_key, point_to_string(h), suite)
    c = challenge(
        y, h, gamma, scalar_mult(k, curve.g, curve), scalar_mult(k, h, curve), suite=suite
    )
    s = (k + c * secret_key) % curve.n
    return Proof(gamma, c, s)


def _beta(gamma: Point, suite: Suite) -> bytes:
    return sha256(suite.suite_string + b"\x03" + point_to_string(gamma) + b"\x00")


def proof_to_hash(proof: Proof | bytes, suite: Suite = SECP256K1_TAI) -> bytes:
    """ECVRF_proof_to_hash (RFC 9381 5.2): ``beta`` (32 bytes)."""
    if isinstance(proof, bytes):
        proof = Proof.from_bytes(proof, suite)
    return _beta(proof.gamma, suite)


def vrf_output(secret_key: int, alpha: bytes, suite: Suite = SECP256K1_TAI) -> bytes:
    """``beta`` without building the full proof (Gamma only): for simulations."""
    h, _ = encode_to_curve(public_key(secret_key, suite), alpha, suite)
    return _beta(scalar_mult(secret_key, h, suite.curve), suite)


def _u_v(
    public: tuple[int, int], proof: Proof, h: Point, curve: Curve
) -> tuple[Point, Point, Point, Point]:
    u = point_add(
        scalar_mult(proof.s, curve.g, curve),
        point_neg(scalar_mult(proof.c, public, curve), curve),
        curve,
    )
    s_h = scalar_mult(proof.s, h, curve)
    c_gamma = scalar_mult(proof.c, proof.gamma, curve)
    v = point_add(s_h, point_neg(c_gamma, curve), curve)
    return u, s_h, c_gamma, v


def verify(
    public: tuple[int, int], proof: Proof | bytes, alpha: bytes, suite: Suite = SECP256K1_TAI
) -> bytes | None:
    """ECVRF_verify (RFC 9381 5.3) with key validation. Returns ``beta`` or None."""
    curve = suite.curve
    if not is_on_curve(public, curve):
        return None
    if isinstance(proof, bytes):
        try:
            proof = Proof.from_bytes(proof, suite)
        except ValueError:
            return None
    if not is_on_curve(proof.gamma, curve) or proof.c >> (8 * C_LEN) or proof.s >= curve.n:
        return None
    h, _ = encode_to_curve(public, alpha, suite)
    u, _, _, v = _u_v(public, proof, h, curve)
    if u is None or v is None:
        return None
    if challenge(public, h, proof.gamma, u, v, suite=suite) != proof.c:
        return None
    return _beta(proof.gamma, suite)


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
    """Compute the witness the Solidity verifier checks with ``ecrecover`` (secp256k1)."""
    h, _ = encode_to_curve(public, alpha)
    u, s_h, c_gamma, v = _u_v(public, proof, h, SECP256K1)
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
    """Weight of an operator: the sum, over allowed tokens whose stake meets the minimum,
    of ``min(min(stake, 2**128 - 1) * 1e18 // minStake, 2**128 - 1)``. Zero means "not
    eligible"."""
    total = 0
    for stake, minimum in zip(stakes, min_stakes, strict=True):
        if stake >= minimum:
            part = min(stake, MAX_TOKEN_WEIGHT) * WEIGHT_UNIT // minimum
            total += min(part, MAX_TOKEN_WEIGHT)
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
