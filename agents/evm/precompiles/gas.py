"""Gas constants for the Cancun precompiled contracts 0x01-0x0a.

Values come from the EIPs that introduced or repriced each precompile:
Frontier (ECRECOVER, SHA256, RIPEMD160, IDENTITY), EIP-198 and EIP-2565 (MODEXP),
EIP-196/197 repriced by EIP-1108 (BN254), EIP-152 (BLAKE2F) and EIP-4844
(POINT_EVALUATION).
"""

from typing import Final

ECRECOVER: Final = 3000

SHA256_BASE: Final = 60
SHA256_PER_WORD: Final = 12

RIPEMD160_BASE: Final = 600
RIPEMD160_PER_WORD: Final = 120

IDENTITY_BASE: Final = 15
IDENTITY_PER_WORD: Final = 3

MODEXP_MINIMUM: Final = 200
MODEXP_DIVISOR: Final = 3

BN254_ADD: Final = 150
BN254_MUL: Final = 6000
BN254_PAIRING_BASE: Final = 45000
BN254_PAIRING_PER_PAIR: Final = 34000

BLAKE2F_PER_ROUND: Final = 1

POINT_EVALUATION: Final = 50000


def word_count(length: int) -> int:
    """Number of 32-byte words needed to hold ``length`` bytes (rounded up)."""
    return (length + 31) // 32
