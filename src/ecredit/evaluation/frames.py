"""Small Narwhals building blocks shared by facts, formulas and rating rules."""

from __future__ import annotations

import narwhals as nw


def flag(condition: nw.Expr) -> nw.Expr:
    """0/1 instead of a boolean: flags are summed, and integer sums are exact on every engine."""
    return nw.when(condition).then(1).otherwise(0)


def distinct_flag(rows: nw.LazyFrame, key: str, name: str) -> nw.LazyFrame:
    """Distinct keys with a constant 1, for left joins that mark rows. A group-by, because
    `unique()` becomes a window function, slow over millions of tiny partitions."""
    return rows.group_by(key).agg(nw.len()).select(key, nw.lit(1).alias(name))
