"""Exceptions of the EVM: exceptional halts inside a frame and invalid transactions.

An :class:`ExceptionalHalt` consumes all gas of the frame that raised it and reverts
its state changes; :class:`Revert` (the REVERT opcode) reverts but keeps the gas.
:class:`InvalidTransaction` and its subclasses reject a transaction before execution:
the world state is left untouched.
"""

from __future__ import annotations


class EvmException(Exception):
    """Base of everything that stops a frame early."""


class ExceptionalHalt(EvmException):
    """A frame stopped abnormally: all its gas is consumed."""


class StackUnderflowError(ExceptionalHalt):
    """Popped more items than the stack holds."""


class StackOverflowError(ExceptionalHalt):
    """Pushed past 1024 items."""


class OutOfGasError(ExceptionalHalt):
    """Not enough gas (also used for over-size init code / code deposits)."""


class InvalidOpcode(ExceptionalHalt):
    """Undefined opcode or INVALID (0xFE)."""


class InvalidJumpDestError(ExceptionalHalt):
    """JUMP/JUMPI to something that is not a JUMPDEST."""


class WriteInStaticContext(ExceptionalHalt):
    """State modification inside STATICCALL."""


class OutOfBoundsRead(ExceptionalHalt):
    """RETURNDATACOPY past the end of the return data."""


class InvalidContractPrefix(ExceptionalHalt):
    """EIP-3541: deployed code starting with 0xEF."""


class AddressCollision(ExceptionalHalt):
    """Contract creation at an address that already has code, nonce or storage."""


class StackDepthLimitError(ExceptionalHalt):
    """Message depth beyond 1024."""


class Halt(Exception):
    """Normal end of a frame (STOP, RETURN, SELFDESTRUCT, running off the code).

    Raised after ``frame.running`` is set to ``False`` so that the fast loop needs no
    per-instruction ``running`` check. Never escapes :func:`execute_code`.
    """


class Revert(EvmException):
    """The REVERT opcode: state reverted, remaining gas returned."""


class InvalidTransaction(Exception):
    """The transaction cannot be included; nothing is executed."""


class TransactionDecodingError(InvalidTransaction):
    """Malformed RLP / envelope / field."""


class InvalidSignatureError(InvalidTransaction):
    """Signature values out of range or sender not recoverable."""


class InvalidChainIdError(InvalidTransaction):
    """Chain id does not match the chain."""


class NonceMismatchError(InvalidTransaction):
    """Transaction nonce differs from the sender's nonce."""


class NonceOverflowError(InvalidTransaction):
    """Nonce is 2**64 - 1 or more (EIP-2681)."""


class InsufficientBalanceError(InvalidTransaction):
    """Sender cannot pay gas * max fee + value (+ blob fee)."""


class IntrinsicGasTooLowError(InvalidTransaction):
    """Gas limit below the intrinsic cost."""


class GasLimitExceededError(InvalidTransaction):
    """Gas limit above the block gas limit (or not a 64-bit value)."""


class InitCodeTooLargeError(InvalidTransaction):
    """EIP-3860: creation data longer than 49152 bytes."""


class FeeCapTooLowError(InvalidTransaction):
    """Max fee (or gas price) below the base fee."""


class PriorityFeeGreaterThanMaxFeeError(InvalidTransaction):
    """EIP-1559: max priority fee above max fee."""


class SenderNotEoaError(InvalidTransaction):
    """EIP-3607: the sender has code."""


class BlobTransactionError(InvalidTransaction):
    """EIP-4844 rule broken (no blobs, bad version, too many, create, blob fee too low)."""


class TypeNotSupportedError(InvalidTransaction):
    """Unknown transaction type."""
