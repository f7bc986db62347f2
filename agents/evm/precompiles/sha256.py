"""0x02 SHA256: the SHA-256 digest of the input (60 gas + 12 per 32-byte word)."""

import hashlib

from agents.evm.precompiles import gas


def gas_cost(data: bytes) -> int:
    """60 + 12 * ceil(len(data) / 32)."""
    return gas.SHA256_BASE + gas.SHA256_PER_WORD * gas.word_count(len(data))


def execute(data: bytes) -> bytes:
    """The 32-byte SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()
