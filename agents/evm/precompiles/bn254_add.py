"""0x06 BN254 ECADD (EIP-196, 150 gas since EIP-1108).

Input is right-padded with zeros to 128 bytes (extra bytes ignored): two G1
points. Output: their sum, 64 bytes. Invalid points fail the call.
"""

from agents.evm.precompiles import gas
from agents.evm.precompiles.bn254 import decode_g1, encode_g1, g1_add
from agents.evm.precompiles.common import read_padded


def gas_cost(data: bytes) -> int:
    """A flat 150 gas."""
    return gas.BN254_ADD


def execute(data: bytes) -> bytes:
    """The encoded sum of the two input points."""
    padded = read_padded(data, 0, 128)
    a = decode_g1(padded[0:64])
    b = decode_g1(padded[64:128])
    return encode_g1(g1_add(a, b))
