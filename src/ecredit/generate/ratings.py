"""Two-way ratings of completed orders: the buyer's score, DSR and review, the seller's rating of
the buyer, later follow-up reviews and the seller's replies.

A rating's id is its order number followed by a slot digit, so a chunk can name parents without
looking anything up. Within a chunk all initial ratings come before follow-ups and replies, which
keeps every parent ahead of the ratings that refer to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ecredit.generate import columns as col
from ecredit.generate import vocab
from ecredit.generate.calendar import DAY, HOUR
from ecredit.generate.naming import IdKind
from ecredit.generate.orders import NONE, OrderBatch
from ecredit.generate.plan import Role

BUYER, SELLER, FOLLOW_UP, REPLY = 1, 2, 3, 4
"""Slot digits of rating ids."""
RATING_WINDOW = 15 * DAY
FOLLOW_UP_WINDOW = 180 * DAY
REPLY_WINDOW = 30 * DAY


def _sentences(*parts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("，".join(p for p in combo if p) for combo in itertools.product(*parts))


class _TextBank:
    """Every review text in one vocabulary, so a column mixing kinds of text is a single take."""

    def __init__(self, lists: dict[str, tuple[str, ...]]) -> None:
        sizes = np.array([len(texts) for texts in lists.values()])
        self.code = {name: i for i, name in enumerate(lists)}
        self._offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self._sizes = sizes
        self._vocab = col.vocab([text for texts in lists.values() for text in texts])

    def draw(self, rng: np.random.Generator, kind: np.ndarray) -> pa.Array:
        """One random text per row from the list named by the row's kind code."""
        pick = self._offsets[kind] + (rng.random(len(kind)) * self._sizes[kind]).astype(np.int64)
        return col.pick(self._vocab, pick)


_BANK = _TextBank(
    {
        "positive": _sentences(
            vocab.POSITIVE_OPENERS, vocab.POSITIVE_BODIES, vocab.POSITIVE_CLOSERS
        ),
        "neutral": vocab.NEUTRAL_TEXTS,
        "negative": vocab.NEGATIVE_TEXTS
        + tuple(f"{a}，{b}" for a, b in itertools.permutations(vocab.NEGATIVE_TEXTS, 2)),
        "brushing": vocab.BRUSHING_TEXTS,
        "malicious": vocab.MALICIOUS_TEXTS,
        "follow_up_positive": vocab.FOLLOW_UP_POSITIVE,
        "follow_up_negative": vocab.FOLLOW_UP_NEGATIVE,
        "thanks": vocab.SELLER_THANKS,
        "apology": vocab.SELLER_APOLOGIES,
        "dispute": vocab.SELLER_DISPUTES,
        "seller_to_buyer": vocab.SELLER_TO_BUYER,
        "default": (vocab.DEFAULT_RATING,),
    }
)
_TEXT = _BANK.code
_RATE_PROBABILITY = np.array([0.55, 1.0, 0.7, 1.0, 0.5, 0.45])
"""Chance that the buyer writes a rating, by order role (see `Role`)."""


@dataclass(frozen=True)
class LabelledRatings:
    """Ratings that belong to a campaign, for the truth file."""

    rating_ids: pa.Array
    group: np.ndarray
    role: np.ndarray


@dataclass
class _Block:
    """One slot's ratings for a subset of the chunk's orders."""

    slot: int
    rows: np.ndarray
    direction: str
    kind: str
    rated_at: np.ndarray
    parent_slot: int | None = None
    score: np.ndarray | None = None
    dsr: np.ndarray | None = None
    text: pa.Array | None = None


def rating_columns(
    rng: np.random.Generator, b: OrderBatch, end_ts: int
) -> tuple[dict[str, pa.Array], list[LabelledRatings]]:
    n = len(b)
    completed = b.confirmed != NONE
    brushing = b.role == Role.BRUSHING
    malicious = b.role == Role.MALICIOUS
    rates = completed & (rng.random(n) < _RATE_PROBABILITY[b.role])
    delay = np.where(
        brushing | malicious,
        rng.integers(600, 6 * HOUR, n),
        (RATING_WINDOW * rng.random(n) ** 2).astype(np.int64),
    )
    rated_at = b.confirmed + delay
    rates &= rated_at <= end_ts
    default_at = b.confirmed + RATING_WINDOW
    default = completed & ~rates & (b.role == Role.ORGANIC) & (default_at <= end_ts)
    default &= rng.random(n) < 0.3

    score = _scores(rng, b)
    buyer = _buyer_block(rng, b, np.flatnonzero(rates), rated_at, score)
    defaults = np.flatnonzero(default)
    buyer_default = _Block(
        BUYER,
        defaults,
        "buyer_to_seller",
        "initial",
        default_at[defaults],
        score=np.ones(len(defaults), dtype=np.int64),
        text=_BANK.draw(rng, np.full(len(defaults), _TEXT["default"])),
    )
    seller = _seller_block(rng, b, completed, end_ts)
    follow = _follow_up_block(rng, b, buyer, score, end_ts)
    reply = _reply_block(rng, b, buyer, score, end_ts)
    blocks = [buyer, buyer_default, seller, follow, reply]
    labelled = []
    for block in (buyer, follow):
        rows = block.rows[np.isin(b.role[block.rows], (Role.BRUSHING, Role.MALICIOUS))]
        labelled.append(
            LabelledRatings(
                b.derived_ids(IdKind.RATING, rows, block.slot),
                b.group[rows],
                np.where(b.role[rows] == Role.BRUSHING, "fake_review", "review"),
            )
        )
    return _columns(b, blocks), labelled


def _scores(rng: np.random.Generator, b: OrderBatch) -> np.ndarray:
    u = rng.random(len(b))
    negative = 0.012 + 0.18 * b.badness**2
    neutral = negative + 0.025 + 0.08 * b.badness + 0.02 * (b.role == Role.FLASH)
    score = np.where(u < negative, -1, np.where(u < neutral, 0, 1))
    score = np.where(b.role == Role.BRUSHING, 1, score)
    return np.where(b.role == Role.MALICIOUS, -1, score)


def _buyer_block(
    rng: np.random.Generator,
    b: OrderBatch,
    rows: np.ndarray,
    rated_at: np.ndarray,
    score: np.ndarray,
) -> _Block:
    n = len(rows)
    s = score[rows]
    role = b.role[rows]
    slow = (b.signed[rows] - b.shipped[rows]) > 3 * DAY
    base = np.select([s > 0, s == 0], [4.8, 3.4], 1.7) - 0.8 * b.badness[rows]
    dsr = np.clip(np.round(base[:, None] + rng.normal(0, 0.45, (n, 3))), 1, 5).astype(np.int64)
    dsr[:, 2] = np.clip(dsr[:, 2] - slow, 1, 5)
    dsr[role == Role.BRUSHING] = 5
    dsr[role == Role.MALICIOUS] = 1
    text = _BANK.draw(
        rng,
        np.select(
            [role == Role.BRUSHING, role == Role.MALICIOUS, s > 0, s == 0],
            [_TEXT["brushing"], _TEXT["malicious"], _TEXT["positive"], _TEXT["neutral"]],
            _TEXT["negative"],
        ),
    )
    silent = (rng.random(n) < 0.15) & (role != Role.BRUSHING) & (role != Role.MALICIOUS)
    return _Block(
        BUYER,
        rows,
        "buyer_to_seller",
        "initial",
        rated_at[rows],
        score=s,
        dsr=dsr,
        text=col.masked(text, ~silent),
    )


def _seller_block(
    rng: np.random.Generator, b: OrderBatch, completed: np.ndarray, end_ts: int
) -> _Block:
    n = len(b)
    chance = np.where(b.role == Role.BRUSHING, 0.9, np.where(b.role == Role.MALICIOUS, 0.2, 0.45))
    rated_at = b.confirmed + rng.integers(0, 5 * DAY, n)
    rows = np.flatnonzero(completed & (rng.random(n) < chance) & (rated_at <= end_ts))
    text = _BANK.draw(rng, np.full(len(rows), _TEXT["seller_to_buyer"]))
    return _Block(
        SELLER,
        rows,
        "seller_to_buyer",
        "initial",
        rated_at[rows],
        score=np.where(rng.random(len(rows)) < 0.995, 1, 0),
        text=col.masked(text, rng.random(len(rows)) < 0.7),
    )


def _follow_up_block(
    rng: np.random.Generator, b: OrderBatch, buyer: _Block, score: np.ndarray, end_ts: int
) -> _Block:
    role = b.role[buyer.rows]
    chance = np.select([role == Role.BRUSHING, role == Role.MALICIOUS], [0.25, 0.4], 0.08)
    at = buyer.rated_at + rng.integers(DAY, FOLLOW_UP_WINDOW, len(role))
    keep = (rng.random(len(role)) < chance) & (at <= end_ts)
    rows, role, at = buyer.rows[keep], role[keep], at[keep]
    n = len(rows)
    unhappy = (score[rows] < 0) | (rng.random(n) < 0.1)
    text = _BANK.draw(
        rng,
        np.select(
            [role == Role.BRUSHING, role == Role.MALICIOUS, ~unhappy],
            [_TEXT["brushing"], _TEXT["malicious"], _TEXT["follow_up_positive"]],
            _TEXT["follow_up_negative"],
        ),
    )
    return _Block(FOLLOW_UP, rows, "buyer_to_seller", "follow_up", at, parent_slot=BUYER, text=text)


def _reply_block(
    rng: np.random.Generator, b: OrderBatch, buyer: _Block, score: np.ndarray, end_ts: int
) -> _Block:
    role = b.role[buyer.rows]
    s = score[buyer.rows]
    malicious = role == Role.MALICIOUS
    chance = np.select([malicious, s < 0, s == 0], [0.7, 0.6, 0.35], 0.08)
    at = buyer.rated_at + rng.integers(600, REPLY_WINDOW, len(role))
    keep = (rng.random(len(role)) < chance) & (at <= end_ts)
    rows, malicious, s, at = buyer.rows[keep], malicious[keep], s[keep], at[keep]
    n = len(rows)
    text = _BANK.draw(
        rng,
        np.select(
            [malicious & (rng.random(n) < 0.7), s <= 0],
            [_TEXT["dispute"], _TEXT["apology"]],
            _TEXT["thanks"],
        ),
    )
    return _Block(REPLY, rows, "seller_to_buyer", "reply", at, parent_slot=BUYER, text=text)


def _columns(b: OrderBatch, blocks: list[_Block]) -> dict[str, pa.Array]:
    def gather(make: Callable[[_Block], pa.Array]) -> pa.Array:
        return pa.concat_arrays([make(block) for block in blocks])

    def optional_int(block: _Block, values: np.ndarray | None) -> pa.Array:
        if values is None:
            return col.nulls(len(block.rows), pa.int64())
        return col.ints(values)

    return {
        "rating_id": gather(lambda k: b.derived_ids(IdKind.RATING, k.rows, k.slot)),
        "order_id": gather(lambda k: b.derived_ids(IdKind.ORDER, k.rows)),
        "direction": gather(lambda k: col.constant(k.direction, len(k.rows))),
        "kind": gather(lambda k: col.constant(k.kind, len(k.rows))),
        "parent_rating_id": gather(
            lambda k: (
                col.nulls(len(k.rows))
                if k.parent_slot is None
                else b.derived_ids(IdKind.RATING, k.rows, k.parent_slot)
            )
        ),
        "score": gather(lambda k: optional_int(k, k.score)),
        "dsr_description": gather(
            lambda k: optional_int(k, None if k.dsr is None else k.dsr[:, 0])
        ),
        "dsr_service": gather(lambda k: optional_int(k, None if k.dsr is None else k.dsr[:, 1])),
        "dsr_logistics": gather(lambda k: optional_int(k, None if k.dsr is None else k.dsr[:, 2])),
        "text": gather(lambda k: k.text if k.text is not None else col.nulls(len(k.rows))),
        "rated_at": gather(lambda k: col.timestamps(k.rated_at)),
    }
