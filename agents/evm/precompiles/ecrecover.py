"""0x01 ECRECOVER: the address that signed a message hash (secp256k1), 3000 gas.

Input (right-padded with zeros to 128 bytes, the rest ignored): ``hash || v || r ||
s``, each a 32-byte big-endian word. ``v`` must be 27 or 28 and ``r``, ``s`` in
``[1, n)``; there is no low-``s`` rule. The output is the recovered address
left-padded to 32 bytes. An invalid signature or a failed recovery is not a
failed call: it succeeds with empty output.
"""

import sha3
from coincurve import PublicKey

from agents.evm.precompiles import gas
from agents.evm.precompiles.common import read_padded

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def gas_cost(data: bytes) -> int:
    """A flat 3000 gas."""
    return gas.ECRECOVER


def execute(data: bytes) -> bytes:
    """The signer's address as a 32-byte word, or ``b""`` if nothing can be recovered."""
    padded = read_padded(data, 0, 128)
    message_hash = padded[0:32]
    v = int.from_bytes(padded[32:64], "big")
    r = int.from_bytes(padded[64:96], "big")
    s = int.from_bytes(padded[96:128], "big")
    if v not in (27, 28) or not 0 < r < SECP256K1_N or not 0 < s < SECP256K1_N:
        return b""
    signature = padded[64:128] + bytes([v - 27])
    try:
        public_key = PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    except Exception:  # coincurve raises plain Exception/ValueError when recovery fails
        return b""
    uncompressed = public_key.format(compressed=False)
    return bytes(12) + sha3.keccak_256(uncompressed[1:]).digest()[12:]
