"""Ingestion throughput and peak memory into SQLite and PostgreSQL.

    python bench/ingest.py [--orders 1000000] [--postgres URL]

Generates a synthetic world once (cached under --work), ingests the prerequisite kinds
untimed, then times `ecredit ingest orders.csv` as a separate process (start-up included)
and reads that process's peak RSS from the kernel. A quarter-size file and a double-size one
(the world's orders twice, the copy under new order ids) show whether peak memory grows with
file size. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from ecredit.generate import generate_world
from ecredit.ingest.readers import Malformed, read_chunks
from ecredit.ingest.validate import LINE, Context, check_chunk
from ecredit.records.kinds import KINDS
from ecredit.storage.bulk import ChunkWriter
from ecredit.storage.database import connect
from ecredit.storage.tables import KIND_TABLES

PREREQUISITES = ("subjects.csv", "shops.csv", "products.csv")


def world(work: Path, orders: int) -> Path:
    out = work / f"world-{orders}"
    manifest = out / "manifest.json"
    if not manifest.exists():
        shutil.rmtree(out, ignore_errors=True)
        generate_world(out, merchants=max(50, orders // 2000), seed=7, orders=orders)
    return out


def head(src: Path, dst: Path, rows: int) -> Path:
    with src.open("rb") as fin, dst.open("wb") as fout:
        for i, line in enumerate(fin):
            if i > rows:
                break
            fout.write(line)
    return dst


def doubled(src: Path, dst: Path) -> Path:
    """The orders twice over, the second copy under new order ids (same shops, buyers, products)."""
    if not dst.exists():
        orders = pl.read_csv(src, infer_schema=False)
        copy = orders.with_columns(pl.col("order_id").str.replace("^OD", "OE"))
        pl.concat([orders, copy]).write_csv(dst)
    return dst


def timed_ingest(path: Path, db: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `ecredit ingest` process."""
    cmd = [sys.executable, "-m", "ecredit", "ingest", str(path), "--db", db]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"ingest failed: {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss / 1024


def fresh_database(kind: str, work: Path, postgres: str | None) -> str:
    if kind == "sqlite":
        path = work / f"bench-{uuid.uuid4().hex[:8]}.sqlite"
        return f"sqlite:///{path}"
    assert postgres
    name = f"ecredit_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://"))
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return postgres.rsplit("/", 1)[0] + "/" + name


def run(db_kind: str, orders_file: Path, data: Path, work: Path, postgres: str | None) -> dict:
    env = {**os.environ, "ECREDIT_KEY_FILE": str(work / "keys.json")}
    db = fresh_database(db_kind, work, postgres)
    for name in PREREQUISITES:
        subprocess.run(
            [sys.executable, "-m", "ecredit", "ingest", str(data / name), "--db", db],
            env=env,
            check=True,
            capture_output=True,
        )
    rows = sum(1 for _ in orders_file.open("rb")) - 1
    elapsed, peak = timed_ingest(orders_file, db, env)
    return {
        "database": db_kind,
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed),
        "peak_rss_mib": round(peak),
    }


def ceiling(db_kind: str, orders_file: Path, work: Path, postgres: str | None) -> dict:
    """Seconds to write the already-validated orders into a table with no key, no index and
    (PostgreSQL) no WAL, through the same writer as ingestion: what the database alone costs."""
    db = fresh_database(db_kind, work, postgres)
    engine = connect(db)
    orders = KIND_TABLES["orders"]
    bare = sa.Table(
        "ceiling",
        sa.MetaData(),
        *(sa.Column(c.name, c.type) for c in orders.c),
        prefixes=["UNLOGGED"] if db_kind == "postgresql" else [],
    )
    bare.metadata.create_all(engine)
    ctx = Context(now=datetime.now(UTC), catalogue_codes=frozenset())
    chunks = []
    for frame in read_chunks(orders_file, "auto", lambda _n: None, Malformed()):
        accepted = check_chunk(KINDS["orders"], frame, ctx).accepted
        chunks.append(
            accepted.rename({LINE: "source_line"}).with_columns(
                pl.lit(1).alias("batch_id"), pl.col("order_id").alias("row_hash")
            )
        )
    writer = ChunkWriter(engine)
    start = time.perf_counter()
    for chunk in chunks:
        writer.insert(bare, chunk)
        writer.commit()
    elapsed = time.perf_counter() - start
    writer.close()
    rows = sum(c.height for c in chunks)
    return {"database": db_kind, "rows": rows, "bare_write_s": round(elapsed, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=250_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/ecredit-bench"))
    parser.add_argument("--postgres", default=os.environ.get("ECREDIT_BENCH_POSTGRES_URL"))
    parser.add_argument(
        "--ceiling", action="store_true", help="only time bare writes of validated rows"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    data = world(args.work, args.orders)
    small = head(data / "orders.csv", args.work / "orders-small.csv", args.small)
    if args.ceiling:
        for db_kind in ("sqlite", "postgresql") if args.postgres else ("sqlite",):
            print(json.dumps(ceiling(db_kind, data / "orders.csv", args.work, args.postgres)))
        return
    double = doubled(data / "orders.csv", data / "orders-double.csv")
    results = []
    for db_kind in ("sqlite", "postgresql") if args.postgres else ("sqlite",):
        for orders_file in (small, data / "orders.csv", double):
            results.append(run(db_kind, orders_file, data, args.work, args.postgres))
            print(json.dumps(results[-1]), flush=True)
    print(f"\n{'database':<11} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'peak RSS MiB':>13}")
    for r in results:
        print(
            f"{r['database']:<11} {r['rows']:>10,} {r['seconds']:>8} {r['rows_per_s']:>9,} "
            f"{r['peak_rss_mib']:>13}"
        )


if __name__ == "__main__":
    main()
