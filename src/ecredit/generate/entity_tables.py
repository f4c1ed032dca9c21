"""The subjects, shops and products files, written in chunks of entities."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from ecredit.generate import columns as col
from ecredit.generate import identifiers, regions, vocab
from ecredit.generate.naming import IdKind, company_names, ids, person_names, trade_names
from ecredit.generate.population import CARRIERS, Population, person_identity
from ecredit.generate.rng import Attr
from ecredit.generate.sinks import Outputs

ORG_PLATFORM, ORG_AGENCY, ORG_CARRIER, ORG_MERCHANT = 0, 10, 20, 100
"""Organisation numbers (feeding the USCC) by subject type; merchants come last and unbounded."""
SALT_CONSUMER, SALT_MERCHANT, SALT_COURIER = 0, 10, 20
_REGION_CODES = col.CodeBook("", regions.CODES, 6)
_CITIES = col.vocab(regions.CITIES)
_LEGAL_FORMS = col.vocab(("organisation", "person"))
_CATEGORY_NAMES = col.vocab([c.name for c in vocab.CATEGORIES])
_CATEGORY_SHORT = col.vocab([c.name[:2] for c in vocab.CATEGORIES])
_SHOP_SUFFIXES = col.vocab(vocab.SHOP_SUFFIXES)
_PERSON_SHOP_SUFFIXES = col.vocab(vocab.PERSON_SHOP_SUFFIXES)
_NOUNS_PER_CATEGORY = len(vocab.CATEGORIES[0].nouns)
_NOUNS = col.vocab([noun for c in vocab.CATEGORIES for noun in c.nouns])
_ADJECTIVES = col.vocab(vocab.TITLE_ADJECTIVES)
_SPECS = col.vocab(vocab.TITLE_SPECS)


def chunks(total: int, size: int) -> Iterator[np.ndarray]:
    for first in range(0, total, size):
        yield np.arange(first, min(first + size, total), dtype=np.int64)


def region_codes(region_index: np.ndarray) -> pa.Array:
    return _REGION_CODES.take(region_index)


def _subjects(
    subject_ids: pa.Array,
    subject_type: str,
    person: np.ndarray,
    names: pa.Array,
    region: np.ndarray,
    registered: np.ndarray,
    uscc: pa.Array | None = None,
    ric: pa.Array | None = None,
    phone: pa.Array | None = None,
) -> dict[str, pa.Array]:
    n = len(subject_ids)
    return {
        "subject_id": subject_ids,
        "subject_type": col.constant(subject_type, n),
        "legal_form": col.pick(_LEGAL_FORMS, person.astype(np.int32)),
        "name": names,
        "uscc": uscc if uscc is not None else col.nulls(n),
        "ric": ric if ric is not None else col.nulls(n),
        "phone": phone if phone is not None else col.nulls(n),
        "region": region_codes(region),
        "registered_on": col.dates(registered),
    }


def _organisations(
    subject_type: str,
    kind: IdKind,
    names: list[str],
    region_codes_: list[int],
    registered: np.ndarray,
    org_base: int,
) -> dict[str, pa.Array]:
    n = len(names)
    index = np.arange(n)
    region = np.array([regions.index_of(code) for code in region_codes_])
    return _subjects(
        ids(kind, index),
        subject_type,
        np.zeros(n, dtype=bool),
        pa.array(names),
        region,
        registered,
        uscc=identifiers.uscc(org_base + index, regions.CODES[region]),
    )


def mobile(pop: Population, index: np.ndarray, salt: int) -> pa.Array:
    """11-digit mainland mobile numbers 1[3-9]xxxxxxxxx."""
    second = 3 + pop.hasher.below(index, Attr.PHONE, 7, salt)
    rest = pop.hasher.below(index, Attr.PHONE, 10**9, salt + 1)
    return col.codes("1", second * 10**9 + rest, 10)


def _persons(
    pop: Population,
    subject_ids: pa.Array,
    subject_type: str,
    index: np.ndarray,
    person_number: np.ndarray,
    salt: int,
    region: np.ndarray,
    registered: np.ndarray,
) -> dict[str, pa.Array]:
    ric_region, birth = person_identity(person_number)
    ric = identifiers.ric(regions.CODES[ric_region], birth)
    return _subjects(
        subject_ids,
        subject_type,
        np.ones(len(index), dtype=bool),
        person_names(pop.hasher, index, salt),
        region,
        registered,
        ric=ric,
        phone=mobile(pop, index, salt),
    )


def carrier_registered(pop: Population) -> np.ndarray:
    return pop.timeline.start_day - 365 * np.arange(15, 15 + CARRIERS)


def write_subjects(out: Outputs, pop: Population, chunk: int) -> None:
    out.put(
        "subjects",
        _organisations(
            "platform",
            IdKind.PLATFORM,
            [p[1] for p in vocab.PLATFORMS],
            [p[2] for p in vocab.PLATFORMS],
            pop.platform_registered,
            ORG_PLATFORM,
        ),
    )
    out.put(
        "subjects",
        _organisations(
            "agency",
            IdKind.AGENCY,
            [vocab.AGENCY[0]],
            [vocab.AGENCY[1]],
            np.array([pop.timeline.start_day - 10 * 365]),
            ORG_AGENCY,
        ),
    )
    out.put(
        "subjects",
        _organisations(
            "logistics",
            IdKind.LOGISTICS,
            [c[0] for c in vocab.CARRIERS],
            [c[3] for c in vocab.CARRIERS],
            carrier_registered(pop),
            ORG_CARRIER,
        ),
    )
    for index in chunks(pop.couriers, chunk):
        region = pop.hasher.below(index, Attr.REGION, len(regions.CODES), SALT_COURIER)
        out.put(
            "subjects",
            _persons(
                pop,
                ids(IdKind.COURIER, index),
                "courier",
                index,
                index,
                SALT_COURIER,
                region,
                pop.courier_registered[index],
            ),
        )
    person_number = pop.couriers + np.cumsum(pop.merchant_person) - 1
    for index in chunks(pop.merchants, chunk):
        out.put("subjects", _merchants(pop, index, person_number[index]))
    for index in chunks(pop.consumers, chunk):
        out.put("subjects", _consumers(pop, index))


def _merchants(
    pop: Population, index: np.ndarray, person_number: np.ndarray
) -> dict[str, pa.ChunkedArray]:
    """Organisations and natural-person sellers of one chunk, interleaved in merchant order."""
    person = pop.merchant_person[index]
    region = pop.merchant_region[index]
    registered = pop.merchant_registered[index]
    subject_ids = ids(IdKind.MERCHANT, index)
    orgs = _subjects(
        subject_ids.filter(pa.array(~person)),
        "merchant",
        np.zeros(int((~person).sum()), dtype=bool),
        company_names(
            pop.hasher, index[~person], SALT_MERCHANT, col.pick(_CITIES, region[~person])
        ),
        region[~person],
        registered[~person],
        uscc=identifiers.uscc(ORG_MERCHANT + index[~person], regions.CODES[region[~person]]),
    )
    people = _persons(
        pop,
        subject_ids.filter(pa.array(person)),
        "merchant",
        index[person],
        person_number[person],
        SALT_MERCHANT,
        region[person],
        registered[person],
    )
    both = pa.concat_tables([pa.table(orgs), pa.table(people)])
    position = np.concatenate([np.flatnonzero(~person), np.flatnonzero(person)])
    merged = both.take(pa.array(np.argsort(position, kind="stable")))
    return {name: merged.column(name) for name in merged.column_names}


def _consumers(pop: Population, index: np.ndarray) -> dict[str, pa.Array]:
    has_phone = pop.hasher.unit(index, Attr.HAS_PHONE) < 0.7
    return _subjects(
        ids(IdKind.CONSUMER, index),
        "consumer",
        np.ones(len(index), dtype=bool),
        person_names(pop.hasher, index, SALT_CONSUMER),
        pop.consumer_region(index),
        pop.consumer_registered_on(index),
        phone=col.masked(mobile(pop, index, SALT_CONSUMER), has_phone),
    )


def write_shops(out: Outputs, pop: Population, chunk: int) -> None:
    for shop in chunks(pop.shops, chunk):
        merchant = pop.shop_merchant[shop]
        person = pop.merchant_person[merchant]
        category = pop.shop_category[shop]
        org_name = col.join(
            trade_names(pop.hasher, merchant, SALT_MERCHANT),
            col.pick(_CATEGORY_SHORT, category),
            col.pick(_SHOP_SUFFIXES, pop.hasher.below(shop, Attr.TITLE, len(vocab.SHOP_SUFFIXES))),
        )
        person_name = col.join(
            person_names(pop.hasher, merchant, SALT_MERCHANT),
            col.pick(
                _PERSON_SHOP_SUFFIXES,
                pop.hasher.below(shop, Attr.TITLE, len(vocab.PERSON_SHOP_SUFFIXES)),
            ),
        )
        out.put(
            "shops",
            {
                "shop_id": ids(IdKind.SHOP, shop),
                "platform_id": ids(IdKind.PLATFORM, pop.shop_platform[shop]),
                "merchant_id": ids(IdKind.MERCHANT, merchant),
                "name": pa.compute.if_else(pa.array(person), person_name, org_name),
                "category": col.pick(_CATEGORY_NAMES, category),
                "opened_on": col.dates(pop.shop_opened[shop]),
            },
        )


def write_products(out: Outputs, pop: Population, chunk: int) -> None:
    """Chunks of about `chunk` products, cut at shop boundaries."""
    cuts = np.searchsorted(pop.shop_product_offset, np.arange(chunk, pop.products, chunk))
    bounds = np.unique(np.concatenate([[0], cuts, [pop.shops]]))
    for first_shop, last_shop in itertools.pairwise(bounds):
        product = np.arange(pop.shop_product_offset[first_shop], pop.shop_product_offset[last_shop])
        shop = np.repeat(np.arange(first_shop, last_shop), pop.shop_products[first_shop:last_shop])
        out.put("products", _product_columns(pop, product, shop))


def _product_columns(pop: Population, product: np.ndarray, shop: np.ndarray) -> dict[str, pa.Array]:
    category = pop.product_category(product, shop)
    listed, delisted = pop.product_listing(product, shop)
    noun = category * _NOUNS_PER_CATEGORY + pop.hasher.below(
        product, Attr.TITLE, _NOUNS_PER_CATEGORY
    )
    title = col.join(
        trade_names(pop.hasher, pop.shop_merchant[shop], SALT_MERCHANT),
        col.pick(_ADJECTIVES, pop.hasher.below(product, Attr.TITLE2, len(vocab.TITLE_ADJECTIVES))),
        col.pick(_NOUNS, noun),
        col.pick(_SPECS, pop.hasher.below(product, Attr.TITLE2, len(vocab.TITLE_SPECS), 1)),
    )
    return {
        "product_id": ids(IdKind.PRODUCT, product),
        "shop_id": ids(IdKind.SHOP, shop),
        "gtin": identifiers.gtin13(product),
        "title": title,
        "category": col.pick(_CATEGORY_NAMES, category),
        "list_price": col.money(pop.list_cents(product, category)),
        "listed_at": col.timestamps(listed),
        "delisted_at": col.timestamps(delisted, delisted >= 0),
    }
