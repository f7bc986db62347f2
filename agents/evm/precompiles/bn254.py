"""BN254 (alt_bn128) curve arithmetic shared by the 0x06-0x08 precompiles.

G1 arithmetic (used by ECADD and ECMUL) is done here on plain integers, in affine
coordinates for single additions and Jacobian coordinates for scalar
multiplication. G2 decoding and validation (used by the pairing check) rely on
``py_ecc.optimized_bn128``.

Encoding (EIP-196/197): a G1 point is ``x || y`` (two 32-byte big-endian words),
a G2 point is ``x_imag || x_real || y_imag || y_real``; the all-zero encoding is
the point at infinity. Every coordinate must be below the field modulus and a
non-zero point must be on its curve; G2 points must also be in the order-``r``
subgroup. Violations raise :class:`PrecompileError`.
"""

from functools import lru_cache
from typing import TypeAlias

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.optimized_bn128 import b2 as G2_B
from py_ecc.optimized_bn128 import curve_order as _PY_ECC_ORDER
from py_ecc.optimized_bn128 import is_inf, multiply

from agents.evm.precompiles.common import PrecompileError

FIELD_MODULUS = 21888242871839275222246405745257275088696311157297823662689037894645226208583
CURVE_ORDER = 21888242871839275222246405745257275088548364400416034343698204186575808495617
G1_B = 3

assert CURVE_ORDER == _PY_ECC_ORDER

# An affine G1 point, or None for the point at infinity.
G1Point: TypeAlias = tuple[int, int] | None
# A G2 point in py_ecc's projective form, or None for the point at infinity.
G2Point: TypeAlias = tuple[FQ2, FQ2, FQ2] | None
# A G1 point in py_ecc's projective form.
PyEccG1: TypeAlias = tuple[FQ, FQ, FQ]

_P = FIELD_MODULUS


def _coordinate(chunk: bytes) -> int:
    value = int.from_bytes(chunk, "big")
    if value >= _P:
        raise PrecompileError("BN254 coordinate not below the field modulus")
    return value


def decode_g1(chunk: bytes) -> G1Point:
    """Decode and validate a 64-byte G1 point."""
    x = _coordinate(chunk[0:32])
    y = _coordinate(chunk[32:64])
    if x == 0 and y == 0:
        return None
    if (y * y - x * x * x - G1_B) % _P != 0:
        raise PrecompileError("BN254 G1 point not on the curve")
    return x, y


def encode_g1(point: G1Point) -> bytes:
    """64-byte encoding of an affine G1 point (zeros for infinity)."""
    if point is None:
        return bytes(64)
    return point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


def g1_add(a: G1Point, b: G1Point) -> G1Point:
    """Affine addition of two G1 points."""
    if a is None:
        return b
    if b is None:
        return a
    x1, y1 = a
    x2, y2 = b
    if x1 == x2:
        if (y1 + y2) % _P == 0:
            return None
        slope = 3 * x1 * x1 * pow(2 * y1, -1, _P) % _P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, _P) % _P
    x3 = (slope * slope - x1 - x2) % _P
    y3 = (slope * (x1 - x3) - y1) % _P
    return x3, y3


_Jacobian: TypeAlias = tuple[int, int, int]


def _jacobian_double(point: _Jacobian) -> _Jacobian:
    x, y, z = point
    if z == 0 or y == 0:
        return 1, 1, 0
    a = x * x % _P
    b = y * y % _P
    c = b * b % _P
    d = 2 * ((x + b) * (x + b) - a - c) % _P
    e = 3 * a % _P
    x3 = (e * e - 2 * d) % _P
    y3 = (e * (d - x3) - 8 * c) % _P
    z3 = 2 * y * z % _P
    return x3, y3, z3


def _jacobian_add_affine(point: _Jacobian, x2: int, y2: int) -> _Jacobian:
    x1, y1, z1 = point
    if z1 == 0:
        return x2, y2, 1
    z1z1 = z1 * z1 % _P
    u2 = x2 * z1z1 % _P
    s2 = y2 * z1 * z1z1 % _P
    h = (u2 - x1) % _P
    r = (s2 - y1) % _P
    if h == 0:
        if r == 0:
            return _jacobian_double(point)
        return 1, 1, 0
    hh = h * h % _P
    hhh = h * hh % _P
    v = x1 * hh % _P
    x3 = (r * r - hhh - 2 * v) % _P
    y3 = (r * (v - x3) - y1 * hhh) % _P
    z3 = z1 * h % _P
    return x3, y3, z3


def g1_mul(point: G1Point, scalar: int) -> G1Point:
    """``scalar * point`` for a validated G1 point (G1 has prime order, cofactor 1)."""
    scalar %= CURVE_ORDER
    if point is None or scalar == 0:
        return None
    x, y = point
    acc: _Jacobian = (1, 1, 0)
    for bit in bin(scalar)[2:]:
        acc = _jacobian_double(acc)
        if bit == "1":
            acc = _jacobian_add_affine(acc, x, y)
    xj, yj, zj = acc
    if zj == 0:
        return None
    z_inv = pow(zj, -1, _P)
    z_inv2 = z_inv * z_inv % _P
    return xj * z_inv2 % _P, yj * z_inv2 * z_inv % _P


def g1_to_py_ecc(point: tuple[int, int]) -> PyEccG1:
    """A finite affine G1 point in py_ecc's projective representation."""
    return FQ(point[0]), FQ(point[1]), FQ.one()


@lru_cache(maxsize=256)
def decode_g2(chunk: bytes) -> G2Point:
    """Decode and validate a 128-byte G2 point, including the subgroup check.

    Cached: the subgroup check is a full scalar multiplication in py_ecc, and
    verifiers tend to pass the same G2 points (verification keys) again and again.
    """
    x_imag = _coordinate(chunk[0:32])
    x_real = _coordinate(chunk[32:64])
    y_imag = _coordinate(chunk[64:96])
    y_real = _coordinate(chunk[96:128])
    if x_imag == x_real == y_imag == y_real == 0:
        return None
    x = FQ2([x_real, x_imag])
    y = FQ2([y_real, y_imag])
    if y * y != x * x * x + G2_B:
        raise PrecompileError("BN254 G2 point not on the twist curve")
    point = (x, y, FQ2.one())
    if not is_inf(multiply(point, CURVE_ORDER)):
        raise PrecompileError("BN254 G2 point not in the order-r subgroup")
    return point
