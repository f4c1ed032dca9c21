"""Vectorised builders for Arrow columns.

Formatting identifiers one Python string at a time would cap generation at a few hundred thousand
rows per second in total; these helpers write the bytes of fixed-width codes straight into a
numpy matrix and hand it to Arrow without a per-row Python step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_DIGIT_PAIRS = np.array(
    [(48 + i // 10) | ((48 + i % 10) << 8) for i in range(100)], dtype=np.uint16
)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_OCTETS = pa.array([str(i) for i in range(256)])

MONEY = pa.decimal128(18, 2)


def from_matrix(chars: np.ndarray, valid: np.ndarray | None = None) -> pa.StringArray:
    """Rows of a (n, width) uint8 matrix of ASCII bytes become n strings (null where not valid)."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(chars)
    return pa.Array.from_buffers(
        pa.string(),
        n,
        [_validity(valid), pa.py_buffer(offsets), pa.py_buffer(data)],
        null_count=0 if valid is None else -1,
    )


def _validity(valid: np.ndarray | None) -> pa.Buffer | None:
    return None if valid is None else pa.array(valid, type=pa.bool_()).buffers()[1]


def digit_matrix(numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative numbers as a (n, width) uint8 matrix.

    Digits are produced two at a time from 32-bit limbs of eight digits, the cheapest integer
    division numpy offers.
    """
    x = np.asarray(numbers, dtype=np.int64)
    pairs = (width + 1) // 2
    out = np.empty((len(x), pairs), dtype=np.uint16)
    hundred = np.uint32(100)
    last = pairs
    while last > 0:
        size = min(4, last)
        if last > size:
            high = x // 10 ** (2 * size)
            limb = (x - high * 10 ** (2 * size)).astype(np.uint32)
            x = high
        else:
            limb = x.astype(np.uint32)
        for k in range(last - 1, last - 1 - size, -1):
            quotient = limb // hundred
            out[:, k] = _DIGIT_PAIRS[limb - quotient * hundred]
            limb = quotient
        last -= size
    chars = out.view(np.uint8)
    return chars[:, chars.shape[1] - width :]


def affixed_matrix(prefix: str, body: np.ndarray, suffix: np.ndarray | None = None) -> np.ndarray:
    """An ASCII prefix, the rows of a character matrix and an optional trailing digit.

    Rows are assembled as packed records (prefix, body, digit), which copies whole fields instead
    of writing the matrix one narrow column at a time.
    """
    head = prefix.encode("ascii")
    n, width = body.shape
    layout = [("head", f"V{len(head)}")] if head else []
    layout.append(("body", f"V{width}"))
    if suffix is not None:
        layout.append(("tail", "u1"))
    rows = np.empty(n, dtype=layout)
    if head:
        rows["head"] = np.void(head)
    rows["body"] = np.ascontiguousarray(body).view(f"V{width}").ravel()
    if suffix is not None:
        rows["tail"] = 48 + suffix
    return rows.view(np.uint8).reshape(n, rows.dtype.itemsize)


def affixed(
    body: np.ndarray,
    prefix: str = "",
    suffix: np.ndarray | None = None,
    valid: np.ndarray | None = None,
) -> pa.StringArray:
    return from_matrix(affixed_matrix(prefix, body, suffix), valid)


def codes(prefix: str, numbers: np.ndarray, width: int) -> pa.StringArray:
    """Identifiers such as ``OD000000001234``: an ASCII prefix and a zero-padded number."""
    return affixed(digit_matrix(numbers, width), prefix)


class CodeBook:
    """Fixed-width identifiers of a whole entity table, formatted once and gathered by index."""

    def __init__(self, prefix: str, numbers: np.ndarray, width: int) -> None:
        self._chars = affixed_matrix(prefix, digit_matrix(numbers, width))

    def take(self, index: np.ndarray, valid: np.ndarray | None = None) -> pa.StringArray:
        return from_matrix(self._chars[index], valid)


def hex_tokens(bits: np.ndarray) -> pa.StringArray:
    """Opaque 16-character tokens (device ids, address tokens) from 64-bit hashes."""
    x = np.asarray(bits, dtype=np.uint64)
    chars = np.empty((len(x), 16), dtype=np.uint8)
    for k in range(16):
        shift = np.uint64(4 * (15 - k))
        chars[:, k] = _HEX[((x >> shift) & np.uint64(15)).astype(np.intp)]
    return from_matrix(chars)


def ipv4(addresses: np.ndarray) -> pa.StringArray:
    x = np.asarray(addresses, dtype=np.int64)
    parts = [_OCTETS.take(pa.array((x >> s) & 255)) for s in (24, 16, 8, 0)]
    return pc.binary_join_element_wise(*parts, ".")


def join(*parts: pa.Array | str, sep: str = "") -> pa.StringArray:
    return pc.binary_join_element_wise(*parts, sep)


def pick(vocabulary: pa.StringArray, index: np.ndarray) -> pa.Array:
    return vocabulary.take(pa.array(np.asarray(index, dtype=np.int32)))


def vocab(words: Sequence[str]) -> pa.StringArray:
    return pa.array(list(words), type=pa.string())


def masked(values: pa.Array, valid: np.ndarray) -> pa.Array:
    """Null where `valid` is false; nulls are written as empty CSV fields."""
    if valid.all():
        return values
    return pc.if_else(pa.array(valid), values, pa.scalar(None, values.type))


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Exact decimals from integer cents, by laying the cents out as 128-bit unscaled values."""
    c = np.asarray(cents, dtype=np.int64)
    unscaled = np.empty((len(c), 2), dtype=np.int64)
    unscaled[:, 0] = c
    unscaled[:, 1] = c >> 63
    return pa.Array.from_buffers(
        MONEY,
        len(c),
        [_validity(valid), pa.py_buffer(unscaled)],
        null_count=-1 if valid is not None else 0,
    )


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Naive China Standard Time datetimes from seconds since 1970-01-01 00:00 CST."""
    mask = None if valid is None else ~valid
    return pa.array(np.asarray(seconds, dtype=np.int64), type=pa.timestamp("s"), mask=mask)


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=mask)


def ints(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=mask)


def bools(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_())


def constant(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def nulls(n: int, type_: pa.DataType | None = None) -> pa.Array:
    return pa.nulls(n, type=type_ or pa.string())
