"""A second fresh database for the other node, on the same engine as the first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ecredit.storage.database import connect, migrate
from tests.conftest import _fresh_postgres, postgres_admin_url


@pytest.fixture
def second_db_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'second.sqlite'}"
        migrate(connect(url))
        yield url
        return
    admin_url = postgres_admin_url()
    assert admin_url is not None
    url, admin = _fresh_postgres(admin_url)
    engine = connect(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{url.rpartition("/")[2]}" WITH (FORCE)')
