"""0x04 IDENTITY: returns its input unchanged (15 gas + 3 per 32-byte word)."""

from agents.evm.precompiles import gas


def gas_cost(data: bytes) -> int:
    """15 + 3 * ceil(len(data) / 32)."""
    return gas.IDENTITY_BASE + gas.IDENTITY_PER_WORD * gas.word_count(len(data))


def execute(data: bytes) -> bytes:
    """A copy of ``data``."""
    return bytes(data)
