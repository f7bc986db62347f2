"""0x07 BN254 ECMUL (EIP-196, 6000 gas since EIP-1108).

Input is right-padded with zeros to 96 bytes (extra bytes ignored): a G1 point and
a 32-byte big-endian scalar (any 256-bit value). Output: the product, 64 bytes.
An invalid point fails the call.
"""

from agents.evm.precompiles import gas
from agents.evm.precompiles.bn254 import decode_g1, encode_g1, g1_mul
from agents.evm.precompiles.common import read_padded


def gas_cost(data: bytes) -> int:
    """A flat 6000 gas."""
    return gas.BN254_MUL


def execute(data: bytes) -> bytes:
    """The encoded product of the input point and scalar."""
    padded = read_padded(data, 0, 96)
    point = decode_g1(padded[0:64])
    scalar = int.from_bytes(padded[64:96], "big")
    return encode_g1(g1_mul(point, scalar))
