"""Every gas constant of the Cancun EVM, plus the small pure functions that combine them.

Names follow ethereum/execution-specs where one exists. Nothing else in the package
hard-codes a gas number: opcode implementations, the message-call machinery and the
transaction processor all import from here.
"""

from __future__ import annotations

# --- opcode tiers --------------------------------------------------------------------
GAS_ZERO = 0
GAS_JUMPDEST = 1
GAS_BASE = 2
GAS_VERY_LOW = 3
GAS_LOW = 5
GAS_MID = 8
GAS_HIGH = 10

# --- arithmetic / hashing / copying --------------------------------------------------
GAS_EXPONENTIATION = 10
GAS_EXPONENTIATION_PER_BYTE = 50
GAS_KECCAK256 = 30
GAS_KECCAK256_WORD = 6
GAS_COPY = 3
GAS_MEMORY = 3
GAS_QUADRATIC_DENOMINATOR = 512

# --- environment / block -------------------------------------------------------------
GAS_BLOCK_HASH = 20
GAS_BLOBHASH_OPCODE = 3
GAS_SELF_BALANCE = 5
GAS_BASE_FEE = 2
GAS_RETURN_DATA_COPY = 3

# --- EIP-2929 access lists -----------------------------------------------------------
GAS_WARM_ACCESS = 100
GAS_COLD_SLOAD = 2100
GAS_COLD_ACCOUNT_ACCESS = 2600

# --- storage (EIP-2200 / EIP-2929 / EIP-3529) ----------------------------------------
GAS_STORAGE_SET = 20000
GAS_STORAGE_UPDATE = 5000
GAS_STORAGE_CLEAR_REFUND = 4800
GAS_CALL_STIPEND = 2300  # also the SSTORE sentry (EIP-2200)

# --- EIP-1153 transient storage -----------------------------------------------------
GAS_TLOAD = GAS_WARM_ACCESS
GAS_TSTORE = GAS_WARM_ACCESS

# --- logs ----------------------------------------------------------------------------
GAS_LOG = 375
GAS_LOG_DATA = 8
GAS_LOG_TOPIC = 375

# --- calls / creation / self-destruct ------------------------------------------------
GAS_CREATE = 32000
GAS_CODE_DEPOSIT = 200
GAS_NEW_ACCOUNT = 25000
GAS_CALL_VALUE = 9000
GAS_SELF_DESTRUCT = 5000
GAS_SELF_DESTRUCT_NEW_ACCOUNT = 25000
GAS_INIT_CODE_WORD_COST = 2  # EIP-3860

# --- transactions --------------------------------------------------------------------
TX_BASE_COST = 21000
TX_CREATE_COST = 32000
TX_DATA_COST_PER_ZERO = 4
TX_DATA_COST_PER_NON_ZERO = 16
TX_ACCESS_LIST_ADDRESS_COST = 2400
TX_ACCESS_LIST_STORAGE_KEY_COST = 1900
MAX_REFUND_QUOTIENT = 5  # EIP-3529

# --- EIP-4844 blobs ------------------------------------------------------------------
GAS_PER_BLOB = 2**17
TARGET_BLOB_GAS_PER_BLOCK = 393216
MAX_BLOB_GAS_PER_BLOCK = 786432
MIN_BLOB_GASPRICE = 1
BLOB_BASE_FEE_UPDATE_FRACTION = 3338477

# --- limits (not gas, but they gate gas rules) ---------------------------------------
STACK_DEPTH_LIMIT = 1024
STACK_LIMIT = 1024
MAX_CODE_SIZE = 0x6000  # EIP-170
MAX_INIT_CODE_SIZE = 2 * MAX_CODE_SIZE  # EIP-3860


def ceil32(value: int) -> int:
    """Round ``value`` up to a multiple of 32."""
    return (value + 31) & ~31


def memory_cost(size_in_bytes: int) -> int:
    """Total cost of a memory of ``size_in_bytes`` (a multiple of 32)."""
    words = (size_in_bytes + 31) >> 5
    return GAS_MEMORY * words + (words * words) // GAS_QUADRATIC_DENOMINATOR


def init_code_cost(length: int) -> int:
    """EIP-3860 cost of ``length`` bytes of init code."""
    return GAS_INIT_CODE_WORD_COST * ((length + 31) >> 5)


def max_message_call_gas(gas: int) -> int:
    """EIP-150: all but one 64th of ``gas``."""
    return gas - gas // 64


def calculate_message_call_gas(
    value: int, gas: int, gas_left: int, memory_cost_: int, extra_gas: int
) -> tuple[int, int]:
    """Cost charged to the caller and gas handed to the callee (stipend included)."""
    stipend = 0 if value == 0 else GAS_CALL_STIPEND
    if gas_left < extra_gas + memory_cost_:
        return gas + extra_gas, gas + stipend
    gas = min(gas, max_message_call_gas(gas_left - memory_cost_ - extra_gas))
    return gas + extra_gas, gas + stipend


def fake_exponential(factor: int, numerator: int, denominator: int) -> int:
    """EIP-4844 integer approximation of ``factor * e ** (numerator / denominator)``."""
    i = 1
    output = 0
    accum = factor * denominator
    while accum > 0:
        output += accum
        accum = (accum * numerator) // (denominator * i)
        i += 1
    return output // denominator


def blob_gas_price(excess_blob_gas: int) -> int:
    """EIP-4844 blob base fee for a block with ``excess_blob_gas``."""
    return fake_exponential(MIN_BLOB_GASPRICE, excess_blob_gas, BLOB_BASE_FEE_UPDATE_FRACTION)
