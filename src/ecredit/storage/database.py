"""Database connections: SQLite by default, PostgreSQL in production.

SQLite gets WAL (readers never block the single writer), a busy timeout (a second process
waits instead of failing) and enforced foreign keys, which SQLite leaves off by default.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

DEFAULT_SQLITE_PATH = Path("var/ecredit.sqlite")
MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_CACHE_KIB = 256 * 1024
"""Index maintenance on tens of millions of rows thrashes SQLite's 2 MiB default page cache."""


def database_url(url: str | None = None) -> str:
    """The explicit URL, else ECREDIT_DATABASE_URL, else a SQLite file under ./var/."""
    if url:
        return url
    if env := os.environ.get("ECREDIT_DATABASE_URL"):
        return env
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _normalise(url: str) -> str:
    """Plain postgresql:// URLs mean psycopg 3, the driver we ship with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def connect(url: str | None = None) -> sa.Engine:
    url = _normalise(database_url(url))
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def alembic_config(engine: sa.Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: sa.Engine) -> None:
    """Create or upgrade the schema; capabilities branch from the foundation, so all heads."""
    command.upgrade(alembic_config(engine), "heads")
