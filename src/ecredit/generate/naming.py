"""Identifiers and Chinese names of entities, derived from their indices.

Identifiers are a type prefix plus a zero-padded 1-based number, so they sort in creation order
and a subject's type can be read off its id (PF platform, AG agency, LG logistics company,
CR courier, MC merchant, CS consumer).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pyarrow as pa

from ecredit.generate import columns as col
from ecredit.generate import vocab
from ecredit.generate.rng import Attr, Hasher


class IdKind(StrEnum):
    PLATFORM = "PF"
    AGENCY = "AG"
    LOGISTICS = "LG"
    COURIER = "CR"
    MERCHANT = "MC"
    CONSUMER = "CS"
    SHOP = "SH"
    PRODUCT = "PD"
    ORDER = "OD"
    RATING = "RT"
    EVENT = "EV"
    COMPLAINT = "CP"
    RECORD = "RC"


_WIDTH = {
    IdKind.PLATFORM: 4,
    IdKind.AGENCY: 4,
    IdKind.LOGISTICS: 4,
    IdKind.COURIER: 8,
    IdKind.MERCHANT: 8,
    IdKind.CONSUMER: 10,
    IdKind.SHOP: 8,
    IdKind.PRODUCT: 10,
    IdKind.ORDER: 12,
    IdKind.COMPLAINT: 10,
    IdKind.RECORD: 10,
}
_SURNAMES = col.vocab(vocab.SURNAMES)
_GIVEN = col.vocab(vocab.GIVEN_CHARS)
_GIVEN_OR_NONE = col.vocab(vocab.GIVEN_CHARS + ("",) * (len(vocab.GIVEN_CHARS) // 2))
_TRADE = col.vocab(vocab.TRADE_CHARS)
_INDUSTRIES = col.vocab(vocab.INDUSTRIES)
_COMPANY_SUFFIXES = col.vocab(vocab.COMPANY_SUFFIXES)


def ids(kind: IdKind, index: np.ndarray) -> pa.StringArray:
    """Ids of 0-based entity indices; the first entity of a table is number 1."""
    return col.codes(kind.value, np.asarray(index, dtype=np.int64) + 1, _WIDTH[kind])


def numbered(kind: IdKind, number: np.ndarray) -> pa.StringArray:
    """Ids whose number is already final, e.g. a complaint's running number."""
    return col.codes(kind.value, number, _WIDTH[kind])


def order_digits(number: np.ndarray) -> np.ndarray:
    """The digits of order numbers, shared by the ids of orders, ratings and logistics events."""
    return col.digit_matrix(number, _WIDTH[IdKind.ORDER])


def book(kind: IdKind, count: int) -> col.CodeBook:
    return col.CodeBook(kind.value, np.arange(1, count + 1), _WIDTH[kind])


@dataclass(frozen=True)
class Books:
    """Ids of the entity tables that every order chunk refers to, formatted once."""

    shops: col.CodeBook
    merchants: col.CodeBook
    couriers: col.CodeBook
    carriers: col.CodeBook

    @classmethod
    def of(cls, shops: int, merchants: int, couriers: int, carriers: int) -> Books:
        return cls(
            book(IdKind.SHOP, shops),
            book(IdKind.MERCHANT, merchants),
            book(IdKind.COURIER, couriers),
            book(IdKind.LOGISTICS, carriers),
        )


def person_names(hasher: Hasher, index: np.ndarray, salt: int) -> pa.StringArray:
    return col.join(
        col.pick(_SURNAMES, hasher.below(index, Attr.NAME, len(vocab.SURNAMES), salt)),
        col.pick(_GIVEN, hasher.below(index, Attr.NAME2, len(vocab.GIVEN_CHARS), salt)),
        col.pick(_GIVEN_OR_NONE, hasher.below(index, Attr.NAME2, len(_GIVEN_OR_NONE), salt + 1)),
    )


def trade_names(hasher: Hasher, index: np.ndarray, salt: int) -> pa.StringArray:
    """The two-character 字号 at the heart of a company or brand name."""
    size = len(vocab.TRADE_CHARS)
    return col.join(
        col.pick(_TRADE, hasher.below(index, Attr.NAME, size, salt)),
        col.pick(_TRADE, hasher.below(index, Attr.NAME2, size, salt)),
    )


def company_names(
    hasher: Hasher, index: np.ndarray, salt: int, cities: pa.StringArray
) -> pa.StringArray:
    """E.g. 杭州锦华贸易有限公司: city + 字号 + industry + form."""
    return col.join(
        cities,
        trade_names(hasher, index, salt),
        col.pick(_INDUSTRIES, hasher.below(index, Attr.TITLE, len(vocab.INDUSTRIES), salt)),
        col.pick(
            _COMPANY_SUFFIXES, hasher.below(index, Attr.TITLE2, len(vocab.COMPANY_SUFFIXES), salt)
        ),
    )


_ISP_FIRST_OCTETS = np.array(
    [
        36,
        39,
        42,
        49,
        58,
        59,
        60,
        61,
        101,
        106,
        110,
        111,
        112,
        113,
        114,
        115,
        116,
        117,
        118,
        119,
        120,
        121,
        122,
        123,
        124,
        125,
        171,
        175,
        180,
        182,
        183,
        218,
        219,
        220,
        221,
        222,
        223,
    ],
    dtype=np.int64,
)


def public_ip(bits: np.ndarray) -> np.ndarray:
    """IPv4 addresses as integers in blocks held by Chinese ISPs, never ending in .0 or .255."""
    b = np.asarray(bits, dtype=np.uint64)
    first = _ISP_FIRST_OCTETS[(b % np.uint64(len(_ISP_FIRST_OCTETS))).astype(np.intp)]
    middle = ((b >> np.uint64(8)) & np.uint64(0xFFFF)).astype(np.int64)
    last = 1 + ((b >> np.uint64(32)) % np.uint64(254)).astype(np.int64)
    return (first << 24) | (middle << 8) | last
