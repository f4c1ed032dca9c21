"""Benchmark the evaluation: records/s and peak memory on DuckDB, Spark local and plain pandas.

    python bench/evaluate.py --sizes 10M,100M --engines duckdb,spark,pandas

Data are generated vectorised into Parquet under --data-dir (reused on later runs): shops,
orders and their ratings, a few complaints and rating flags; "records" counts orders plus
ratings. Each measurement runs in its own process; peak memory is the sampled maximum RSS of
that process and its children (Spark's JVM included). The pandas baseline computes the same
order and rating indicators (order defect rate, late shipment, cancellation, positive rate
with weekly dedupe, DSR, credit points with the 14-day and pair-cap rules, brushing share)
with the same rules; `--check` compares its values with DuckDB's on a small world first.
`--engines floor` times only the join and groupings those rules cannot do without, in plain
DuckDB SQL: the bound below which no evaluation on this machine can go.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

AS_OF = date(2026, 6, 30)
HISTORY_DAYS = 730
RATED_SHARE = 0.8
ORDERS_PER_SHOP = 2000
BUYERS_PER_SHOP = 2000
PRODUCTS_PER_SHOP = 10
CHUNK = 5_000_000
EPOCH_CST = datetime(2026, 6, 30, 23, 59) - timedelta(days=HISTORY_DAYS)
"""Generated times are naive China Standard Time, as `ecredit generate` writes them."""


def parse_size(text: str) -> int:
    units = {"K": 1_000, "M": 1_000_000}
    return (
        int(float(text[:-1]) * units[text[-1].upper()]) if text[-1].upper() in units else int(text)
    )


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, pa.scalar(""))


def _times(seconds: np.ndarray) -> pa.Array:
    base = np.datetime64(EPOCH_CST, "s")
    return pa.array(base + seconds.astype("timedelta64[s]"), pa.timestamp("s"))


def generate(directory: Path, records: int, seed: int = 1) -> None:
    """Shops, orders, ratings, flags and complaints for `records` orders + ratings."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    orders = int(records / (1 + RATED_SHARE))
    shops = max(10, orders // ORDERS_PER_SHOP)
    merchant = np.arange(shops)
    subjects = pa.table(
        {
            "subject_id": pa.concat_arrays(
                [_ids("M", merchant, 8), _ids("P", np.arange(5), 2), _ids("L", np.arange(10), 2)]
            ),
            "subject_type": ["merchant"] * shops + ["platform"] * 5 + ["logistics"] * 10,
            "legal_form": ["organisation"] * (shops + 15),
            "name": ["店"] * (shops + 15),
            "uscc": ["91330100MA00000001"] * (shops + 15),
            "registered_on": pa.array([date(2018, 1, 1)] * (shops + 15), pa.date32()),
        }
    )
    pq.write_table(subjects, directory / "subjects.parquet")
    pq.write_table(
        pa.table(
            {
                "shop_id": _ids("S", merchant, 8),
                "platform_id": _ids("P", merchant % 5, 2),
                "merchant_id": _ids("M", merchant, 8),
                "name": ["店"] * shops,
                "opened_on": pa.array([date(2018, 1, 1)] * shops, pa.date32()),
            }
        ),
        directory / "shops.parquet",
    )
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for start in range(0, orders, CHUNK):
            for name, table in _chunk(rng, start, min(CHUNK, orders - start), shops).items():
                if name not in writers:
                    writers[name] = pq.ParquetWriter(directory / f"{name}.parquet", table.schema)
                writers[name].write_table(table)
    finally:
        for writer in writers.values():
            writer.close()


def _chunk(rng: np.random.Generator, start: int, n: int, shops: int) -> dict[str, pa.Table]:
    number = np.arange(start, start + n)
    shop = rng.integers(0, shops, n)
    buyer = shop * 37 + rng.integers(0, BUYERS_PER_SHOP, n)
    product = shop * PRODUCTS_PER_SHOP + rng.integers(0, PRODUCTS_PER_SHOP, n)
    ordered = rng.integers(0, (HISTORY_DAYS - 1) * 86_400, n)
    paid = ordered + rng.integers(0, 1_800, n)
    cancel = rng.random(n)
    seller_cancel, buyer_cancel = cancel < 0.01, (cancel >= 0.01) & (cancel < 0.03)
    shipped = paid + rng.gamma(2.0, 10.0, n).astype(np.int64) * 3_600
    shipped_at = _times(shipped)
    shipped_at = pc.if_else(
        pa.array(seller_cancel | buyer_cancel), pa.scalar(None, pa.timestamp("s")), shipped_at
    )
    order_ids = _ids("O", number, 10)
    status = np.where(seller_cancel | buyer_cancel, "cancelled", "completed")
    cancelled_by = np.where(seller_cancel, "seller", np.where(buyer_cancel, "buyer", None))
    orders = pa.table(
        {
            "order_id": order_ids,
            "shop_id": _ids("S", shop, 8),
            "buyer_id": _ids("B", buyer, 9),
            "product_id": _ids("G", product, 9),
            "quantity": np.ones(n, np.int64),
            "unit_price": np.full(n, 50.0),
            "amount": np.full(n, 50.0),
            "ordered_at": _times(ordered),
            "paid_at": _times(paid),
            "shipped_at": shipped_at,
            "status": status,
            "cancelled_by": pa.array(cancelled_by, pa.string()),
            "chargeback": rng.random(n) < 0.002,
        }
    )
    rated = (rng.random(n) < RATED_SHARE) & ~(seller_cancel | buyer_cancel)
    idx = np.flatnonzero(rated)
    draw = rng.random(len(idx))
    score = np.where(draw < 0.9, 1, np.where(draw < 0.95, 0, -1))
    dsr = np.clip(np.where(score == 1, 5, 3) - rng.integers(0, 2, len(idx)), 1, 5)
    ratings = pa.table(
        {
            "rating_id": _ids("R", number[idx], 10),
            "order_id": order_ids.take(pa.array(idx)),
            "direction": ["buyer_to_seller"] * len(idx),
            "kind": ["initial"] * len(idx),
            "score": score,
            "dsr_description": dsr,
            "dsr_service": dsr,
            "dsr_logistics": dsr,
            "rated_at": _times(shipped[idx] + rng.integers(86_400, 10 * 86_400, len(idx))),
        }
    )
    flagged = idx[rng.random(len(idx)) < 0.005]
    flags = pa.table(
        {
            "rating_id": _ids("R", number[flagged], 10),
            "valid_score": np.zeros(len(flagged), bool),
            "set_at": _times(np.full(len(flagged), HISTORY_DAYS * 86_400 - 86_400)),
        }
    )
    complained = np.flatnonzero(rng.random(n) < 0.001)
    complaints = pa.table(
        {
            "complaint_id": _ids("K", number[complained], 10),
            "channel": ["12315"] * len(complained),
            "target_id": _ids("M", shop[complained], 8),
            "order_id": order_ids.take(pa.array(complained)),
            "category": ["quality"] * len(complained),
            "received_at": _times(shipped[complained] + 5 * 86_400),
            "status": ["resolved"] * len(complained),
            "outcome": np.where(rng.random(len(complained)) < 0.5, "upheld", "rejected"),
            "resolved_at": _times(shipped[complained] + 12 * 86_400),
        }
    )
    return {"orders": orders, "ratings": ratings, "rating_flag": flags, "complaints": complaints}


def count_records(directory: Path) -> int:
    return sum(
        pq.ParquetFile(directory / f"{k}.parquet").metadata.num_rows for k in ("orders", "ratings")
    )


# ---- engines --------------------------------------------------------------------------------


def run_engine(name: str, directory: Path) -> dict[str, object]:
    from ecredit.engines.sources import DirectorySource
    from ecredit.evaluation.results import run_evaluation

    source = DirectorySource(directory)
    if name == "duckdb":
        from ecredit.engines.duckdb import DuckDBEngine

        engine = DuckDBEngine(source, memory_limit="10GB")
    else:
        from ecredit.engines.spark import SparkEngine, local_session

        engine = SparkEngine(source, local_session(cores=2, driver_memory="14g"))
    started = time.perf_counter()
    result = run_evaluation(engine, AS_OF)
    seconds = time.perf_counter() - started
    engine.close()
    return {"seconds": seconds, "subjects": result.results.num_rows}


def run_floor(directory: Path) -> dict[str, object]:
    """The least any implementation of these rules must do, as hand-written DuckDB SQL on 2
    threads: join the ratings to their orders, the three per-rating groupings the rating rules
    need (same buyer and item; buyer, shop and month; buyer, shop, week and value) and the
    per-shop order sums. No other indicator, no explanation or evidence, no plan building: if
    this alone exceeds a target, no evaluation on this machine can meet it."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")
    year = END - timedelta(days=365)
    steps = (
        f"""CREATE TABLE rated AS SELECT r.rating_id, o.shop_id, o.buyer_id, o.product_id,
            r.score::TINYINT AS score, r.rated_at, o.ordered_at
            FROM '{directory}/ratings.parquet' r JOIN '{directory}/orders.parquet' o
            USING (order_id)""",
        """SELECT count(*) FROM (SELECT buyer_id, product_id, count(*) AS n FROM rated
            GROUP BY ALL HAVING n > 1)""",
        """SELECT count(*) FROM (SELECT shop_id, buyer_id, date_trunc('month', ordered_at),
            count(*) AS n FROM rated WHERE score <> 0 GROUP BY ALL HAVING n > 6)""",
        f"""SELECT shop_id, count(*) FROM (SELECT shop_id, buyer_id,
            date_trunc('week', rated_at), score FROM rated
            WHERE score <> 0 AND rated_at >= '{year}' GROUP BY ALL) GROUP BY ALL""",
        f"""SELECT shop_id, count(*), sum((cancelled_by = 'seller')::INT),
            sum((shipped_at > paid_at + INTERVAL 48 HOUR)::INT)
            FROM '{directory}/orders.parquet' WHERE ordered_at >= '{year}' GROUP BY ALL""",
    )
    started = time.perf_counter()
    for sql in steps:
        con.execute(sql).fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds, "subjects": 0}


# ---- pandas baseline ------------------------------------------------------------------------

DAY = 86_400
END = datetime(AS_OF.year, AS_OF.month, AS_OF.day) + timedelta(days=1, hours=-8)
"""The as-of day ends at midnight China time, 16:00 UTC."""


def _seconds(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def _epoch(series: pd.Series) -> np.ndarray:
    """Naive China time → UTC epoch seconds (NaT → a huge negative number, never in a window)."""
    return series.astype("datetime64[s]").astype("int64").to_numpy() - 8 * 3_600


def _lookback(agg: pd.DataFrame, count: str, base: str) -> pd.Series:
    """eBay rule: 3 months when the 3-month base reaches 400, else 12; small-sample allowance."""
    short = agg[f"{base}_short"] >= 400
    counts = np.where(short, agg[f"{count}_short"], agg[count])
    rate = counts / np.where(short, agg[f"{base}_short"], agg[base]).clip(min=1)
    return pd.Series(rate, agg.index), pd.Series(counts, agg.index)


def pandas_indicators(directory: Path) -> pd.DataFrame:
    """The order and rating indicators per merchant, with the same rules as the engines."""
    from ecredit.evaluation.policy import load_model, months_before

    end, year, quarter = (
        _seconds(END),
        _seconds(months_before(END, 12)),
        _seconds(months_before(END, 3)),
    )
    shops = pd.read_parquet(directory / "shops.parquet", columns=["shop_id", "merchant_id"])
    columns = [
        "order_id",
        "shop_id",
        "buyer_id",
        "product_id",
        "ordered_at",
        "paid_at",
        "shipped_at",
        "cancelled_by",
        "chargeback",
    ]
    orders = pd.read_parquet(directory / "orders.parquet", columns=columns)
    complaints = pd.read_parquet(directory / "complaints.parquet", columns=["order_id", "outcome"])
    upheld = orders["order_id"].isin(complaints.loc[complaints["outcome"] == "upheld", "order_id"])
    ordered, shipped_s = _epoch(orders["ordered_at"]), _epoch(orders["shipped_at"])
    seller = (orders["cancelled_by"] == "seller").to_numpy()
    shipped = orders["shipped_at"].notna().to_numpy() & (shipped_s < end)
    f = pd.DataFrame(
        {
            "shop_id": orders["shop_id"],
            "orders": 1,
            "defects": seller | orders["chargeback"].to_numpy() | upheld.to_numpy(),
            "shipped": shipped,
            "late": shipped & (shipped_s - _epoch(orders["paid_at"]) > 48 * 3_600),
            "week_orders": ordered >= end - 7 * DAY,
            "week_cancels": seller & (ordered >= end - 7 * DAY),
        }
    )[(ordered >= year) & (ordered < end)]
    short = ordered[(ordered >= year) & (ordered < end)] >= quarter
    for name in ("orders", "defects", "shipped", "late"):
        f[f"{name}_short"] = f[name] & short
    agg = f.groupby("shop_id").sum(numeric_only=True)
    out = pd.DataFrame(index=agg.index)
    for name, count, base, allowance, cap in (
        ("order_defect_rate", "defects", "orders", 3, 0.005),
        ("late_shipment_rate", "late", "shipped", 5, 0.03),
    ):
        rate, counts = _lookback(agg, count, base)
        out[name] = rate.where(counts > allowance, np.minimum(rate, cap))
    out["cancellation_rate"] = (agg["week_cancels"] / agg["week_orders"]).where(
        agg["week_orders"] > 0
    )
    out = out.join(_pandas_ratings(directory, orders, end, year), how="outer")
    levels = [level.min_points for level in load_model().ratings.levels]
    out["credit_level"] = np.searchsorted(levels, out["credit_points"].fillna(0), side="right")
    return out.join(shops.set_index("shop_id")).groupby("merchant_id").first()


def _pandas_ratings(directory: Path, orders: pd.DataFrame, end: int, year: int) -> pd.DataFrame:
    columns = ["rating_id", "order_id", "score", "dsr_description", "rated_at"]
    ratings = pd.read_parquet(directory / "ratings.parquet", columns=columns)
    flags = pd.read_parquet(directory / "rating_flag.parquet", columns=["rating_id"])
    order_columns = ["order_id", "shop_id", "buyer_id", "product_id", "ordered_at"]
    r = ratings.merge(orders[order_columns], on="order_id")
    r["rated_s"], r["o_s"] = _epoch(r["rated_at"]), _epoch(r["ordered_at"])
    r = r[r["rated_s"] < end]
    r["valid"] = ~r["rating_id"].isin(flags["rating_id"])
    out = pd.DataFrame(index=pd.Index(r["shop_id"].unique(), name="shop_id"))
    out["invalid_rating_share"] = 1 - r[r["rated_s"] >= year].groupby("shop_id")["valid"].mean()
    v = r[r["valid"]]
    weekly = v[(v["rated_s"] >= year) & (v["score"] != 0)]
    weekly = weekly.assign(week=((weekly["rated_s"] + 8 * 3_600) // DAY + 3) // 7)
    weekly = weekly.drop_duplicates(["shop_id", "buyer_id", "week", "score"])
    out["positive_rate"] = (weekly["score"] == 1).groupby(weekly["shop_id"]).mean()
    recent = v[v["rated_s"] >= end - 180 * DAY]
    dsr = recent.groupby("shop_id")["dsr_description"].agg(["sum", "count"])
    out["dsr_description"] = ((dsr["sum"] + 24.5) / (dsr["count"] + 7)).where(dsr["count"] >= 10)
    out["credit_points"] = _pandas_points(v)
    return out


def _pandas_points(v: pd.DataFrame) -> pd.Series:
    """14-day same-item dedupe (greedy, by order time), then ±6 per buyer, shop and month.

    Series split where the gap reaches 14 days; bursts shorter than 14 days keep their first
    rating (vectorised); only longer bursts walk the greedy chain in Python.
    """
    v = v.sort_values(["buyer_id", "product_id", "o_s", "rating_id"]).reset_index(drop=True)
    same = (v["buyer_id"] == v["buyer_id"].shift()) & (v["product_id"] == v["product_id"].shift())
    starts = ~same | (v["o_s"] - v["o_s"].shift() >= 14 * DAY)
    burst = starts.cumsum()
    span = v.groupby(burst)["o_s"].transform("max") - v.groupby(burst)["o_s"].transform("min")
    counted = (starts & (span < 14 * DAY)).to_numpy().copy()
    long_rows = np.flatnonzero((span >= 14 * DAY).to_numpy())
    times, bursts = v["o_s"].to_numpy(), burst.to_numpy()
    current, anchor = -1, 0
    for i in long_rows:
        if bursts[i] != current or times[i] >= anchor + 14 * DAY:
            counted[i], current, anchor = True, bursts[i], times[i]
    v = v[counted]
    month = (v["o_s"] + 8 * 3_600).astype("datetime64[s]").dt.to_period("M")
    pairs = v.assign(month=month, good=v["score"] == 1, bad=v["score"] == -1)
    capped = pairs.groupby(["shop_id", "buyer_id", "month"])[["good", "bad"]].sum().clip(upper=6)
    return (capped["good"] - capped["bad"]).groupby("shop_id").sum()


# ---- driver ---------------------------------------------------------------------------------


def worker(name: str, directory: Path) -> None:
    if name == "pandas":
        started = time.perf_counter()
        merchants = pandas_indicators(directory)
        result = {"seconds": time.perf_counter() - started, "subjects": len(merchants)}
    elif name == "floor":
        result = run_floor(directory)
    else:
        result = run_engine(name, directory)
    print(json.dumps(result))


def measure(name: str, directory: Path, timeout: float | None) -> dict[str, object]:
    """Run one engine in a fresh process and sample its tree's memory every 100 ms."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", name, "--data-dir", str(directory)],
        stdout=subprocess.PIPE,
        text=True,
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            time.sleep(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        out, _ = proc.communicate()
    stop.set()
    thread.join()
    if timed_out:
        return {"error": f"not finished within {timeout:.0f} s", "peak_gb": peak / 1e9}
    if proc.returncode != 0:
        cause = " (killed: out of memory)" if proc.returncode == -9 else ""
        return {"error": f"failed, exit code {proc.returncode}{cause}", "peak_gb": peak / 1e9}
    result = json.loads(out.strip().splitlines()[-1])
    return {"seconds": result["seconds"], "peak_gb": peak / 1e9}


def check(directory: Path) -> None:
    """The pandas baseline computes what the engines compute (small world)."""
    from ecredit.engines.duckdb import DuckDBEngine
    from ecredit.engines.sources import DirectorySource
    from ecredit.evaluation.results import run_evaluation

    generate(directory, 200_000)
    engine = DuckDBEngine(DirectorySource(directory))
    values = run_evaluation(engine, AS_OF).contributions.to_pandas()
    engine.close()
    ours = values.pivot(index="subject_id", columns="indicator", values="value")
    theirs = pandas_indicators(directory)
    compared = (
        "order_defect_rate",
        "late_shipment_rate",
        "cancellation_rate",
        "invalid_rating_share",
        "positive_rate",
        "dsr_description",
        "credit_level",
    )
    for name in compared:
        joined = pd.concat([ours[name], theirs[name]], axis=1, keys=["engine", "pandas"]).dropna()
        assert len(joined) > 0 and np.allclose(joined["engine"], joined["pandas"]), name
    print(
        "pandas baseline matches the engines on",
        len(ours.index.intersection(theirs.index)),
        "merchants",
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10M,100M", help="order+rating records, e.g. 10M,100M")
    parser.add_argument(
        "--engines",
        default="duckdb,spark,pandas",
        help="duckdb, spark, pandas, and floor: the bare SQL no evaluation can undercut",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/ecredit-bench"))
    parser.add_argument("--check", action="store_true", help="verify the pandas baseline first")
    parser.add_argument("--timeout", type=float, help="seconds allowed per engine and size")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.data_dir)
        return
    if args.check:
        check(args.data_dir / "check")
    print(f"{'engine':8} {'records':>13} {'seconds':>9} {'records/s':>12} {'peak GB':>8}")
    for size in args.sizes.split(","):
        directory = args.data_dir / size
        if not (directory / "ratings.parquet").exists():
            started = time.perf_counter()
            generate(directory, parse_size(size))
            print(f"# generated {size} in {time.perf_counter() - started:.0f} s: {directory}")
        records = count_records(directory)
        timings = {}
        for engine in args.engines.split(","):
            m = measure(engine, directory, args.timeout)
            if "error" in m:
                print(f"{engine:8} {records:>13,} {m['error']} (peak {m['peak_gb']:.2f} GB)")
                continue
            timings[engine] = m["seconds"]
            rate = records / m["seconds"]
            line = f"{engine:8} {records:>13,} {m['seconds']:>9.1f} {rate:>12,.0f}"
            print(f"{line} {m['peak_gb']:>8.2f}", flush=True)
        if "pandas" in timings:
            for engine, seconds in timings.items():
                if engine != "pandas":
                    print(f"# {engine} vs pandas at {size}: {timings['pandas'] / seconds:.1f}x")


if __name__ == "__main__":
    main()
