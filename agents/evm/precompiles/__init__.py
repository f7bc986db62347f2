"""Cancun precompiled contracts 0x01-0x0a for the rollup EVM.

The interpreter calls :func:`call_precompile` for a message whose target is in
:data:`PRECOMPILE_ADDRESSES`. Each precompile lives in its own module exposing two
plain functions:

* ``gas_cost(data) -> int``: the gas the call is charged, computed before any
  expensive work (so huge declared lengths are rejected cheaply);
* ``execute(data) -> bytes``: the output, raising :class:`PrecompileError` on
  invalid input.

A failed call (invalid input or out of gas) consumes all the gas it was given and
returns no output, as in the execution specs.
"""

from collections.abc import Callable
from types import ModuleType
from typing import Final

from agents.evm.precompiles import (
    blake2f,
    bn254_add,
    bn254_mul,
    bn254_pairing,
    ecrecover,
    identity,
    modexp,
    point_evaluation,
    ripemd160,
    sha256,
)
from agents.evm.precompiles.common import PrecompileError

__all__ = ["PRECOMPILE_ADDRESSES", "PrecompileError", "call_precompile"]

_MODULES: Final[dict[int, ModuleType]] = {
    0x01: ecrecover,
    0x02: sha256,
    0x03: ripemd160,
    0x04: identity,
    0x05: modexp,
    0x06: bn254_add,
    0x07: bn254_mul,
    0x08: bn254_pairing,
    0x09: blake2f,
    0x0A: point_evaluation,
}

PRECOMPILE_ADDRESSES: Final[frozenset[int]] = frozenset(_MODULES)


def call_precompile(address: int, data: bytes, gas_available: int) -> tuple[bool, int, bytes]:
    """Run the precompile at ``address`` on ``data`` with ``gas_available`` gas.

    Returns ``(success, gas_used, output)``. On failure (invalid input or out of
    gas) ``gas_used == gas_available`` and ``output == b""``.
    """
    module = _MODULES.get(address)
    if module is None:
        raise ValueError(f"no precompile at address {address:#x}")
    data = bytes(data)
    gas_cost: Callable[[bytes], int] = module.gas_cost
    execute: Callable[[bytes], bytes] = module.execute
    try:
        cost = gas_cost(data)
        if cost > gas_available:
            return False, gas_available, b""
        output = execute(data)
    except PrecompileError:
        return False, gas_available, b""
    return True, cost, output
