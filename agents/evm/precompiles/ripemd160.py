"""0x03 RIPEMD160: the RIPEMD-160 digest of the input, left-padded to 32 bytes.

Gas is 600 + 120 per 32-byte word. hashlib only offers RIPEMD-160 when its OpenSSL
build does, so pycryptodome's implementation is the fallback.
"""

import hashlib
from collections.abc import Callable

from agents.evm.precompiles import gas


def _pycryptodome_ripemd160(data: bytes) -> bytes:
    from Crypto.Hash import RIPEMD160

    return RIPEMD160.new(data).digest()


def _hashlib_ripemd160(data: bytes) -> bytes:
    return hashlib.new("ripemd160", data).digest()


def _pick_ripemd160() -> Callable[[bytes], bytes]:
    try:
        if _hashlib_ripemd160(b"") == bytes.fromhex("9c1185a5c5e9fc54612808977ee8f548b2258d31"):
            return _hashlib_ripemd160
    except ValueError:
        pass
    return _pycryptodome_ripemd160


_ripemd160: Callable[[bytes], bytes] = _pick_ripemd160()


def gas_cost(data: bytes) -> int:
    """600 + 120 * ceil(len(data) / 32)."""
    return gas.RIPEMD160_BASE + gas.RIPEMD160_PER_WORD * gas.word_count(len(data))


def execute(data: bytes) -> bytes:
    """The 20-byte RIPEMD-160 digest of ``data`` with 12 leading zero bytes."""
    return bytes(12) + _ripemd160(data)
