"""Complaints and reports through platforms and the 12312/12315/12318/12358/12365 hotlines.

Consumers complain about their own orders, more often when the merchant is bad, the order was
refunded or the seller cancelled it; review-campaign accounts also file vexatious complaints that
are rarely upheld. A few anonymous public reports name a shop but no order. Platforms sometimes
pay upheld complaints first (先行赔付) and recover the money from the merchant later.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecredit.generate import columns as col
from ecredit.generate import vocab
from ecredit.generate.calendar import DAY, HOUR
from ecredit.generate.naming import Books, IdKind, ids, numbered
from ecredit.generate.orders import CANCELLERS, NONE, STATUS, OrderBatch
from ecredit.generate.plan import Role
from ecredit.records.kinds import COMPLAINTS

CATEGORIES = COMPLAINTS.field("category").choices
STATUSES = COMPLAINTS.field("status").choices
OUTCOMES = COMPLAINTS.field("outcome").choices
_CODE = {name: i for i, name in enumerate(CATEGORIES)}
_STATUS = {name: i for i, name in enumerate(STATUSES)}
_OUTCOME = {name: i for i, name in enumerate(OUTCOMES)}
_SELLER = CANCELLERS.index("seller")
_CHANNELS = col.vocab(COMPLAINTS.field("channel").choices)
_CHANNEL = {name: i for i, name in enumerate(COMPLAINTS.field("channel").choices)}
_CATEGORY_VOCAB = col.vocab(CATEGORIES)
_STATUS_VOCAB = col.vocab(STATUSES)
_OUTCOME_VOCAB = col.vocab(OUTCOMES)
_TEXT_VARIANTS = len(next(iter(vocab.COMPLAINT_TEXTS.values())))
_TEXTS = col.vocab([t for c in CATEGORIES for t in vocab.COMPLAINT_TEXTS[c]])
_REPORTS = col.vocab(vocab.REPORT_TEXTS)
_CULTURE = next(i for i, c in enumerate(vocab.CATEGORIES) if c.name == vocab.CULTURE_CATEGORY)
_BASE_WEIGHTS = np.array([0.22, 0.06, 0.18, 0.16, 0.12, 0.05, 0.08, 0.02])


def _categories(rng: np.random.Generator, b: OrderBatch, rows: np.ndarray) -> np.ndarray:
    weights = np.tile(_BASE_WEIGHTS, (len(rows), 1))
    bad = b.badness[rows]
    weights[:, _CODE["counterfeit"]] += 0.15 * bad
    weights[:, _CODE["fraud"]] += 0.08 * bad
    weights[:, _CODE["refund"]] += 0.6 * (b.status[rows] == STATUS["refunded"])
    weights[:, _CODE["delivery"]] += 0.6 * (b.signed[rows] == NONE)
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(len(rows))[:, None] * cumulative[:, -1:]
    return (u >= cumulative).sum(axis=1)


def _channels(rng: np.random.Generator, category: np.ndarray, culture: np.ndarray) -> np.ndarray:
    n = len(category)
    u = rng.random(n)
    hotline = np.select(
        [
            (category == _CODE["price"]) & (u < 0.6),
            np.isin(category, (_CODE["quality"], _CODE["counterfeit"])) & (u < 0.3),
            culture & (u < 0.5),
            u > 0.92,
        ],
        [_CHANNEL["12358"], _CHANNEL["12365"], _CHANNEL["12318"], _CHANNEL["12312"]],
        _CHANNEL["12315"],
    )
    return np.where(rng.random(n) < 0.55, _CHANNEL["platform"], hotline)


def _complainants(rng: np.random.Generator, b: OrderBatch) -> tuple[np.ndarray, np.ndarray]:
    """Rows of orders complained about, then rows whose shop is reported without an order."""
    n = len(b)
    chance = (
        0.002
        + 0.03 * b.badness**2
        + 0.05 * (b.status == STATUS["refunded"])
        + 0.03 * (b.cancelled_by == _SELLER)
        + 0.3 * (b.role == Role.MALICIOUS)
    )
    about_order = np.flatnonzero(rng.random(n) < chance)
    suspicion = b.badness + 0.05
    reported = rng.choice(n, rng.poisson(n * 0.0004), p=suspicion / suspicion.sum())
    rows = np.concatenate([about_order, reported])
    return rows, np.arange(len(rows)) >= len(about_order)


def _handling(
    rng: np.random.Generator, b: OrderBatch, rows: np.ndarray, received: np.ndarray, end_ts: int
) -> dict[str, np.ndarray]:
    """Status, outcome and resolution time as of the end date."""
    m = len(rows)
    resolved = received + np.clip(rng.lognormal(np.log(4 * DAY), 0.9, m), HOUR, 120 * DAY).astype(
        np.int64
    )
    refused = rng.random(m) < 0.03
    done = (resolved <= end_ts) & ~refused
    upheld = np.where(b.role[rows] == Role.MALICIOUS, 0.05, 0.35 + 0.5 * b.badness[rows])
    u = rng.random(m)
    outcome = np.select(
        [u < upheld, u < upheld + 0.25, u < upheld + 0.35],
        [_OUTCOME["upheld"], _OUTCOME["mediated"], _OUTCOME["withdrawn"]],
        _OUTCOME["rejected"],
    )
    open_status = np.where(rng.random(m) < 0.5, _STATUS["accepted"], _STATUS["mediating"])
    settled = np.isin(outcome, (_OUTCOME["upheld"], _OUTCOME["mediated"]))
    status = np.select(
        [refused, done & settled, done, end_ts - received < DAY],
        [_STATUS["refused"], _STATUS["resolved"], _STATUS["closed"], _STATUS["received"]],
        open_status,
    )
    return {"done": done, "resolved": resolved, "outcome": outcome, "status": status}


def complaint_columns(
    rng: np.random.Generator, books: Books, b: OrderBatch, end_ts: int, first_number: int
) -> dict[str, pa.Array]:
    rows, is_report = _complainants(rng, b)
    anchor = np.select(
        [b.signed[rows] != NONE, b.shipped[rows] != NONE, b.paid[rows] != NONE],
        [b.signed[rows], b.shipped[rows], b.paid[rows]],
        b.ordered[rows],
    )
    received = anchor + rng.integers(HOUR, 20 * DAY, len(rows))
    keep = received <= end_ts
    rows, is_report, received = rows[keep], is_report[keep], received[keep]
    m = len(rows)
    category = np.where(
        is_report,
        rng.choice([_CODE["counterfeit"], _CODE["fraud"]], m),
        _categories(rng, b, rows),
    )
    channel = np.where(
        is_report, _CHANNEL["12315"], _channels(rng, category, b.category[rows] == _CULTURE)
    )
    to_carrier = (category == _CODE["delivery"]) & (b.shipped[rows] != NONE)
    to_carrier &= rng.random(m) < 0.25
    handled = _handling(rng, b, rows, received, end_ts)
    compensated = handled["done"] & (handled["outcome"] == _OUTCOME["upheld"])
    compensated &= (channel == _CHANNEL["platform"]) & (rng.random(m) < 0.45) & ~is_report
    multiple = np.where(
        category == _CODE["counterfeit"], rng.uniform(1.0, 3.0, m), rng.uniform(0.3, 1.0, m)
    )
    text = col.pick(_TEXTS, category * _TEXT_VARIANTS + rng.integers(0, _TEXT_VARIANTS, m))
    report_text = col.pick(_REPORTS, rng.integers(0, len(vocab.REPORT_TEXTS), m))
    return {
        "complaint_id": numbered(IdKind.COMPLAINT, first_number + np.arange(m)),
        "channel": col.pick(_CHANNELS, channel),
        "complainant_id": col.masked(ids(IdKind.CONSUMER, b.buyer[rows]), ~is_report),
        "target_id": pc.if_else(
            pa.array(to_carrier),
            books.carriers.take(b.carrier[rows]),
            books.merchants.take(b.merchant[rows]),
        ),
        "shop_id": books.shops.take(b.shop[rows]),
        "order_id": col.masked(b.order_ids.take(pa.array(rows)), ~is_report),
        "category": col.pick(_CATEGORY_VOCAB, category),
        "received_at": col.timestamps(received),
        "status": col.pick(_STATUS_VOCAB, handled["status"]),
        "outcome": col.masked(col.pick(_OUTCOME_VOCAB, handled["outcome"]), handled["done"]),
        "resolved_at": col.timestamps(handled["resolved"], handled["done"]),
        "compensation_amount": col.money(
            np.round(b.amount_cents[rows] * multiple).astype(np.int64), compensated
        ),
        "text": pc.if_else(pa.array(is_report), report_text, text),
    }
