"""Deterministic randomness for the synthetic world.

Two sources, both keyed by the world seed only (never by time or memory addresses):

* `stream` gives an independent generator per (table, chunk), so the bytes of one file do not
  depend on how much randomness another file consumed, and chunk *k* is the same whatever was
  generated before it.
* `Hasher` derives per-entity attributes (a consumer's region, devices, addresses, a product's
  price) from the entity's index. Those attributes can then be recomputed inside any order chunk
  instead of being stored, which is what keeps 100 M orders within bounded memory.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)
_MASK64 = (1 << 64) - 1


class Stream(IntEnum):
    """One independent random stream per concern; values are part of the output contract."""

    POPULATION = 1
    SHOPS = 2
    CONSUMERS = 3
    PLAN = 4
    CALENDAR = 5
    ORDERS = 6
    RATINGS = 7
    LOGISTICS = 8
    COMPLAINTS = 9
    TRAFFIC = 10
    RECORDS = 11
    OUTCOMES = 12


class Attr(IntEnum):
    """Per-entity hashed attributes; each value salts the hash differently."""

    REGION = 1
    NAME = 2
    NAME2 = 3
    PHONE = 4
    HAS_PHONE = 5
    DEVICE = 6
    DEVICE_COUNT = 7
    IP = 8
    ADDRESS = 9
    ADDRESS_COUNT = 10
    PRICE = 11
    CATEGORY = 12
    TITLE = 13
    TITLE2 = 14
    LISTED = 15
    DELISTED = 16
    WEIGHT = 17
    CONVERSION = 18
    PAGES = 19
    CLICK_RATE = 20
    BASE_VISITS = 21
    COURIER = 22
    CARRIER = 23
    HOUR = 24


def stream(seed: int, which: Stream, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, int(which), *key])))


def _splitmix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> _U64(30))) * _MIX1
    z = (z ^ (z >> _U64(27))) * _MIX2
    return z ^ (z >> _U64(31))


class Hasher:
    """Stateless per-entity randomness: the same (index, attribute) always gives the same value."""

    def __init__(self, seed: int) -> None:
        self._salt = int(_splitmix(np.array([seed & _MASK64], dtype=_U64))[0])

    def bits(self, index: np.ndarray, attr: Attr, k: int = 0) -> np.ndarray:
        salt = _U64((self._salt + (int(attr) << 40) + (k << 20)) & _MASK64)
        return _splitmix(np.asarray(index).astype(_U64) * _GOLDEN + salt)

    def unit(self, index: np.ndarray, attr: Attr, k: int = 0) -> np.ndarray:
        """Uniform floats in [0, 1)."""
        return (self.bits(index, attr, k) >> _U64(11)).astype(np.float64) * (1.0 / (1 << 53))

    def below(self, index: np.ndarray, attr: Attr, n: int | np.ndarray, k: int = 0) -> np.ndarray:
        return (self.unit(index, attr, k) * n).astype(np.int64)


def weighted_index(u: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Map uniforms to indices with the given (unnormalised) weights."""
    cdf = np.cumsum(weights, dtype=np.float64)
    return np.searchsorted(cdf, u * cdf[-1], side="right").clip(0, len(weights) - 1)


def permute(values: np.ndarray, modulus: int, key: int) -> np.ndarray:
    """A keyed pseudo-random bijection on [0, modulus).

    Unique inputs (an entity's index) give unique outputs that do not look sequential: a 4-round
    Feistel network on the smallest even number of bits covering `modulus`, cycle-walking values
    that land outside the range until they fall inside it.
    """
    half = max(1, ((modulus - 1).bit_length() + 1) // 2)
    mask = _U64((1 << half) - 1)
    keys = [_U64((key * 0x2545F4914F6CDD1D + r * 0x9E3779B9) & _MASK64) for r in range(4)]
    x = np.asarray(values, dtype=np.int64).astype(_U64)
    out = x.copy()
    todo = np.arange(len(x))
    while len(todo):
        left, right = out[todo] >> _U64(half), out[todo] & mask
        for k in keys:
            left, right = right, left ^ (_splitmix(right + k) & mask)
        out[todo] = (left << _U64(half)) | right
        todo = todo[out[todo] >= _U64(modulus)]
    return out.astype(np.int64)
