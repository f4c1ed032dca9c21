"""Shared fixtures: a fresh database per test on SQLite and, for real, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ecredit.privacy.keys import KeyRing, load_keyring
from ecredit.storage.database import connect, migrate

POSTGRES_ENV = "ECREDIT_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url and os.environ.get("CI"):
        pytest.fail(f"{POSTGRES_ENV} is not set: run the suite with `make test`")
    return url


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KeyRing:
    key_file = tmp_path / "keys.json"
    monkeypatch.setenv("ECREDIT_KEY_FILE", str(key_file))
    return load_keyring(key_file)


def _fresh_postgres(admin_url: str) -> tuple[str, sa.Engine]:
    name = f"ecredit_test_{uuid.uuid4().hex[:12]}"
    admin = connect(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}", admin


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database; each test gets its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ecredit.sqlite'}"
        migrate(connect(url))
        yield url
        return
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip(f"{POSTGRES_ENV} not set (make test starts PostgreSQL)")
    url, admin = _fresh_postgres(admin_url)
    engine = connect(url)
    migrate(engine)
    yield url
    engine.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{url.rpartition("/")[2]}" WITH (FORCE)')


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    eng = connect(db_url)
    yield eng
    eng.dispose()
