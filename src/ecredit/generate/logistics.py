"""Logistics events of shipped orders: pickup, transit scans, delivery, signature, return.

Rows of one order stay together and in event order. Tracking numbers are the carrier's two-letter
prefix and 13 digits from a permutation of the order number; empty parcels instead reuse a small
pool of numbers from above the order-number range, so they never collide with real parcels.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ecredit.generate import columns as col
from ecredit.generate import regions, vocab
from ecredit.generate.entity_tables import region_codes
from ecredit.generate.naming import Books, IdKind
from ecredit.generate.orders import NONE, OrderBatch
from ecredit.generate.population import CARRIERS, Population
from ecredit.generate.rng import Attr, permute

EVENT_TYPES = ("pickup", "transit", "delivered", "signed", "returned")
_EVENT_VOCAB = col.vocab(EVENT_TYPES)
_PREFIXES = np.array([list(c[1].encode()) for c in vocab.CARRIERS], dtype=np.uint8)
TRACKING_DIGITS = 13


def tracking_matrix(carrier: np.ndarray, serial: np.ndarray) -> np.ndarray:
    chars = np.empty((len(serial), 2 + TRACKING_DIGITS), dtype=np.uint8)
    chars[:, :2] = _PREFIXES[carrier]
    chars[:, 2:] = col.digit_matrix(
        permute(serial, 10**TRACKING_DIGITS, key=12_305), TRACKING_DIGITS
    )
    return chars


def tracking_numbers(carrier: np.ndarray, serial: np.ndarray) -> pa.StringArray:
    return col.from_matrix(tracking_matrix(carrier, serial))


def _courier(pop: Population, b: OrderBatch, region: np.ndarray) -> np.ndarray:
    """A courier of the order's carrier who covers the region; a few share each round."""
    first = pop.courier_offsets[b.carrier]
    count = pop.courier_offsets[b.carrier + 1] - first
    beat = (region * CARRIERS + b.carrier) * 3 + b.number % 3
    return first + pop.hasher.below(beat, Attr.COURIER, count)


_SLOT_TYPES = np.array([0, 1, 1, 2, 3, 4])
"""Event type of each slot: pickup, transit out of the origin hub, transit into the destination
hub, delivered, signed, returned."""


def logistics_columns(
    pop: Population, books: Books, b: OrderBatch, end_ts: int
) -> dict[str, pa.Array]:
    times = np.stack(
        [b.picked, b.transit_out, b.transit_in, b.delivered, b.signed, b.returned], axis=1
    )
    happened = (times != NONE) & (times <= end_ts)
    row, slot = np.nonzero(happened)
    origin_courier = _courier(pop, b, b.origin)
    dest_courier = _courier(pop, b, b.dest)
    none = np.full(len(b), NONE)
    courier = np.stack(
        [origin_courier, none, none, dest_courier, dest_courier, dest_courier], axis=1
    )[happened]
    place = np.stack(
        [b.origin, regions.HUB[b.origin], regions.HUB[b.dest], b.dest, b.dest, b.dest], axis=1
    )[happened]
    tracking = tracking_matrix(b.carrier, np.where(b.parcel >= 0, b.parcel, b.number))
    return {
        "event_id": b.derived_ids(IdKind.EVENT, row, slot + 1),
        "order_id": b.derived_ids(IdKind.ORDER, row),
        "carrier_id": books.carriers.take(b.carrier[row]),
        "courier_id": books.couriers.take(np.maximum(courier, 0), courier != NONE),
        "tracking_no": col.from_matrix(tracking[row]),
        "event_type": col.pick(_EVENT_VOCAB, _SLOT_TYPES[slot]),
        "occurred_at": col.timestamps(times[happened]),
        "region": region_codes(place),
        "weight_g": col.ints(b.grams[row]),
    }
