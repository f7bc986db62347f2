"""Helpers shared by the precompiles: the failure exception and padded input reads."""


class PrecompileError(Exception):
    """Invalid input for a precompiled contract; the call fails and consumes all its gas."""


def read_padded(data: bytes, start: int, length: int) -> bytes:
    """``length`` bytes of ``data`` from ``start``, right-padded with zeros past its end.

    Callers must bound ``length`` first (e.g. by a gas check): it is allocated.
    """
    chunk = data[start : start + length]
    if len(chunk) < length:
        chunk += bytes(length - len(chunk))
    return chunk


def read_uint(data: bytes, start: int, length: int) -> int:
    """Big-endian unsigned integer of ``read_padded(data, start, length)``.

    Zero padding is applied arithmetically, so only the bytes actually present in
    ``data`` are copied, whatever ``length`` is (the result may still be large).
    """
    chunk = data[start : start + length]
    value = int.from_bytes(chunk, "big")
    missing = length - len(chunk)
    if value and missing > 0:
        value <<= 8 * missing
    return value
