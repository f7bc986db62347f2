"""The call_precompile interface: addresses, failure convention, gas accounting."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.evm.precompiles import PRECOMPILE_ADDRESSES, call_precompile

# Inputs that succeed, and their exact cost.
VALID_CALLS = [
    (0x01, bytes(128), 3000),
    (0x02, b"", 60),
    (0x03, b"", 600),
    (0x04, b"", 15),
    (0x05, bytes(96), 200),
    (0x06, bytes(128), 150),
    (0x07, bytes(96), 6000),
    (0x08, b"", 45000),
    (0x09, bytes(4 + 208) + b"\x01", 0),
]


def test_addresses_are_one_to_ten() -> None:
    assert PRECOMPILE_ADDRESSES == frozenset(range(1, 11))
    assert isinstance(PRECOMPILE_ADDRESSES, frozenset)


def test_unknown_address_is_a_caller_bug() -> None:
    with pytest.raises(ValueError):
        call_precompile(0x0B, b"", 10**6)
    with pytest.raises(ValueError):
        call_precompile(0, b"", 10**6)


@pytest.mark.parametrize(("address", "data", "cost"), VALID_CALLS)
def test_exact_gas_succeeds(address: int, data: bytes, cost: int) -> None:
    ok, used, _ = call_precompile(address, data, cost)
    assert ok
    assert used == cost


@pytest.mark.parametrize(("address", "data", "cost"), [c for c in VALID_CALLS if c[2] > 0])
def test_one_gas_short_fails_consuming_everything(address: int, data: bytes, cost: int) -> None:
    assert call_precompile(address, data, cost - 1) == (False, cost - 1, b"")


@pytest.mark.parametrize("address", sorted(PRECOMPILE_ADDRESSES))
def test_zero_gas(address: int) -> None:
    ok, used, output = call_precompile(address, b"", 0)
    assert used == 0
    if not ok:
        assert output == b""


def test_accepts_bytearray_and_memoryview() -> None:
    # The interface says bytes, but a slice of EVM memory may arrive as another buffer.
    for buffer in (bytearray(b"xyz"), memoryview(b"xyz")):
        data: Any = buffer
        assert call_precompile(4, data, 100) == (True, 18, b"xyz")
        assert call_precompile(2, data, 100)[2] == call_precompile(2, b"xyz", 100)[2]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    address=st.sampled_from(sorted(PRECOMPILE_ADDRESSES - {0x08})),
    data=st.binary(max_size=300),
    gas_available=st.integers(min_value=0, max_value=200_000),
)
def test_result_convention(address: int, data: bytes, gas_available: int) -> None:
    ok, used, output = call_precompile(address, data, gas_available)
    assert isinstance(output, bytes)
    if ok:
        assert 0 <= used <= gas_available
    else:
        assert used == gas_available
        assert output == b""
