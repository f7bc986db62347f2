"""Decoding of revert data into readable errors.

A revert carries ``Error(string)``, ``Panic(uint256)`` or a custom error selector plus
ABI-encoded arguments. :func:`decode_revert` turns any of them into a short text such
as ``InsufficientStake(required=100, available=7)`` using the custom errors of every
compiled contract (see :func:`agents.l1.artifacts.error_signatures`).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError

from agents.l1.artifacts import error_signatures

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")
PANIC_SELECTOR = bytes.fromhex("4e487b71")

PANIC_REASONS = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "invalid storage byte array",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to zero-initialized function",
}


@dataclass(frozen=True)
class DecodedRevert:
    """A revert reason: the error's name, its named arguments and the raw data."""

    name: str
    arguments: dict[str, object]
    data: bytes

    def __str__(self) -> str:
        if not self.arguments:
            return f"{self.name}()"
        rendered = ", ".join(f"{key}={_render(value)}" for key, value in self.arguments.items())
        return f"{self.name}({rendered})"


def _render(value: object) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    return str(value)


def decode_revert(data: bytes) -> DecodedRevert:
    """Decode revert ``data``; unknown selectors come back as ``UnknownError``."""
    if len(data) == 0:
        return DecodedRevert("EmptyRevert", {}, data)
    selector, payload = data[:4], data[4:]
    try:
        if selector == ERROR_STRING_SELECTOR:
            (message,) = abi_decode(["string"], payload)
            return DecodedRevert("Error", {"message": message}, data)
        if selector == PANIC_SELECTOR:
            (code,) = abi_decode(["uint256"], payload)
            reason = PANIC_REASONS.get(code, "unknown panic")
            return DecodedRevert("Panic", {"code": hex(code), "reason": reason}, data)
        known = error_signatures().get(selector)
        if known is not None:
            types = [_abi_type(arg) for arg in known.inputs]
            values = abi_decode(types, payload)
            names = [arg.get("name") or f"arg{index}" for index, arg in enumerate(known.inputs)]
            return DecodedRevert(
                known.signature.split("(")[0], dict(zip(names, values, strict=True)), data
            )
    except DecodingError:
        pass
    return DecodedRevert("UnknownError", {"data": data}, data)


def _abi_type(arg: dict[str, object]) -> str:
    kind = str(arg["type"])
    if kind.startswith("tuple"):
        components = arg["components"]
        assert isinstance(components, list)
        return "(" + ",".join(_abi_type(sub) for sub in components) + ")" + kind[5:]
    return kind
