"""Latency of the public profile lookup (GET /api/v1/subjects/{id}) under a fixed arrival rate.

    python bench/api.py [--merchants 200] [--rate 500] [--seconds 10] [--postgres URL]

Generates a synthetic world once (cached under --work), ingests it into SQLite and, with
--postgres (default $ECREDIT_BENCH_POSTGRES_URL), into a fresh PostgreSQL database, then
serves the app with uvicorn in a separate process on 127.0.0.1. Requests arrive open-loop at
--rate per second for --seconds (bounded count, and a hard deadline), each for a random public
subject, and latency is measured from the scheduled send time, so queueing counts. Two
scenarios per database: as deployed (the public profile cache on) and with the cache off at
--uncached-rate, which shows the cost of computing a profile. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

from ecredit.generate import generate_world
from ecredit.ingest.pipeline import ingest_file
from ecredit.privacy.keys import load_keyring
from ecredit.records.kinds import KINDS
from ecredit.storage.database import connect, migrate

TARGET_P99_MS = 20.0
DEADLINE_SLACK_S = 30.0


def world(work: Path, merchants: int) -> Path:
    out = work / f"world-{merchants}"
    if not (out / "manifest.json").exists():
        shutil.rmtree(out, ignore_errors=True)
        generate_world(out, merchants=merchants, seed=11)
    return out


def fresh_database(kind: str, work: Path, postgres: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{work / f'api-{uuid.uuid4().hex[:8]}.sqlite'}"
    assert postgres
    name = f"ecredit_bench_{uuid.uuid4().hex[:8]}"
    admin = connect(postgres).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return postgres.rsplit("/", 1)[0] + "/" + name


def load(db: str, data: Path, key_file: Path) -> list[str]:
    """Ingest every kind file; return the ids of the subjects the public may look up."""
    engine = connect(db)
    migrate(engine)
    keys = load_keyring(key_file)
    for kind in KINDS:
        path = data / f"{kind}.csv"
        if path.exists():
            ingest_file(engine, path, kind, keys, rejects_path=data.parent / f"{kind}.rejects")
    with engine.connect() as conn:
        ids = conn.execute(
            sa.text(
                "SELECT subject_id FROM subjects WHERE subject_type IN "
                "('platform', 'merchant', 'logistics', 'agency')"
            )
        ).scalars()
        found = list(ids)
    engine.dispose()
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: str, port: int, cache_seconds: float) -> None:
    """Run in the server process: the app as `ecredit serve` builds it, limits raised."""
    import uvicorn

    from ecredit.web.app import create_app
    from ecredit.web.settings import WebSettings

    settings = WebSettings(
        public_base_url=f"http://127.0.0.1:{port}",
        public_rate_limit="1000000/minute",
        profile_cache_seconds=cache_seconds,
    )
    app = create_app(connect(db), load_keyring(), settings)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(
    db: str, cache_seconds: float, env: dict[str, str]
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, __file__, "serve", db, str(port), str(cache_seconds)]
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/api/v1/keys", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


class Connection:
    """One keep-alive HTTP/1.1 connection. A bare asyncio client: a general-purpose one spends
    more CPU per request than the server does, and on a small machine it would measure itself."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def get(self, path: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def fire(port: int, ids: list[str], rate: float, seconds: float, connections: int) -> dict:
    count = int(rate * seconds)
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection.open(port))
    warm = await pool.get()
    for subject in ids:
        await warm.get(f"/api/v1/subjects/{subject}")
    pool.put_nowait(warm)
    latencies: list[float] = []
    errors = 0
    rng = random.Random(5)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        connection = await pool.get()
        try:
            ok = await connection.get(f"/api/v1/subjects/{rng.choice(ids)}") == 200
        finally:
            pool.put_nowait(connection)
        if ok:
            latencies.append((loop.time() - scheduled) * 1000)
        else:
            errors += 1

    await asyncio.wait_for(
        asyncio.gather(*(one(i) for i in range(count))), timeout=seconds + DEADLINE_SLACK_S
    )
    elapsed = loop.time() - start
    while not pool.empty():
        pool.get_nowait().close()
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    return {
        "requests": count,
        "errors": errors,
        "achieved_rps": round(count / elapsed),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1], 2),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--uncached-rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--work", type=Path, default=Path("/tmp/ecredit-bench"))
    parser.add_argument("--postgres", default=os.environ.get("ECREDIT_BENCH_POSTGRES_URL"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    key_file = args.work / "api-keys.json"
    env = {
        **os.environ,
        "ECREDIT_KEY_FILE": str(key_file),
        "ECREDIT_WEB_KEY_FILE": str(args.work / "api-web-keys.json"),
    }
    data = world(args.work, args.merchants)
    results = []
    for db_kind in ("sqlite", "postgresql") if args.postgres else ("sqlite",):
        db = fresh_database(db_kind, args.work, args.postgres)
        ids = load(db, data, key_file)
        for scenario, cache, rate in (
            ("cached", 30.0, args.rate),
            ("uncached", 0.0, args.uncached_rate),
        ):
            proc, port = start_server(db, cache, env)
            try:
                figures = asyncio.run(fire(port, ids, rate, args.seconds, args.connections))
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            results.append(
                {"database": db_kind, "scenario": scenario, "rate": rate, "subjects": len(ids)}
                | figures
                | {"load_avg_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
            )
            print(json.dumps(results[-1]), flush=True)
    print(
        f"\n{'database':<11} {'scenario':<9} {'rate':>5} {'sent':>6} {'err':>4} "
        f"{'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'load':>5}"
    )
    for r in results:
        print(
            f"{r['database']:<11} {r['scenario']:<9} {r['rate']:>5.0f} {r['requests']:>6} "
            f"{r['errors']:>4} {r['p50_ms']:>7} {r['p90_ms']:>7} {r['p99_ms']:>7} {r['max_ms']:>7} "
            f"{r['load_avg_1m']:>5}"
        )
    print(f"\ntarget: p99 ≤ {TARGET_P99_MS} ms at {args.rate:.0f} requests/s (cached, as deployed)")
    print(f"load: 1-minute load average when each scenario ended, on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
