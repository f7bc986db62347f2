"""0x05 MODEXP: ``base ** exp % mod`` on big integers (EIP-198, priced by EIP-2565).

Input: three 32-byte big-endian lengths ``base_len``, ``exp_len``, ``mod_len``,
then the base, exponent and modulus of those lengths; anything missing reads as
zeros. The output is ``mod_len`` bytes (all zeros for a zero modulus).

Gas is ``max(200, mult_complexity * iteration_count // 3)`` where
``mult_complexity = ceil(max(base_len, mod_len) / 8) ** 2`` and the iteration count
comes from the exponent's length and its first 32 bytes. The price is computed
from the lengths and the exponent head alone, so absurd declared lengths are
rejected by the gas check before anything of that size is read or allocated.
"""

from agents.evm.precompiles import gas
from agents.evm.precompiles.common import read_uint

_HEADER_WORD = 32


def _lengths(data: bytes) -> tuple[int, int, int]:
    base_len = read_uint(data, 0, _HEADER_WORD)
    exp_len = read_uint(data, 32, _HEADER_WORD)
    mod_len = read_uint(data, 64, _HEADER_WORD)
    return base_len, exp_len, mod_len


def multiplication_complexity(base_len: int, mod_len: int) -> int:
    """EIP-2565: the square of the number of 8-byte words in the larger operand."""
    words = (max(base_len, mod_len) + 7) // 8
    return words * words


def iteration_count(exp_len: int, exp_head: int) -> int:
    """EIP-2565 adjusted exponent length, at least 1.

    ``exp_head`` is the integer value of the exponent's first ``min(32, exp_len)``
    bytes.
    """
    head_bits = max(exp_head.bit_length() - 1, 0)
    if exp_len <= 32:
        count = head_bits
    else:
        count = 8 * (exp_len - 32) + head_bits
    return max(count, 1)


def gas_cost(data: bytes) -> int:
    """EIP-2565 price of the call described by ``data``."""
    base_len, exp_len, mod_len = _lengths(data)
    exp_head = read_uint(data, 96 + base_len, min(32, exp_len))
    complexity = multiplication_complexity(base_len, mod_len)
    return max(
        gas.MODEXP_MINIMUM,
        complexity * iteration_count(exp_len, exp_head) // gas.MODEXP_DIVISOR,
    )


def execute(data: bytes) -> bytes:
    """``base ** exp % mod`` as ``mod_len`` big-endian bytes.

    Only called once the gas check passed, which bounds ``base_len`` and
    ``mod_len`` whenever ``mod_len`` is nonzero (and then ``exp_len`` too).
    """
    base_len, exp_len, mod_len = _lengths(data)
    if mod_len == 0:
        # Nothing to output; the exponent may be arbitrarily long here, so skip it.
        return b""
    base_start = 96
    exp_start = base_start + base_len
    mod_start = exp_start + exp_len
    modulus = read_uint(data, mod_start, mod_len)
    if modulus <= 1:
        return bytes(mod_len)
    base = read_uint(data, base_start, base_len) % modulus
    if base <= 1:
        # 0 ** 0 == 1 in the EVM as in Python, so only base 0 needs the exponent.
        if base == 0 and read_uint(data, exp_start, exp_len) == 0:
            return (1).to_bytes(mod_len, "big")
        return base.to_bytes(mod_len, "big")
    exponent = read_uint(data, exp_start, exp_len)
    return pow(base, exponent, modulus).to_bytes(mod_len, "big")
