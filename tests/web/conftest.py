"""Fixtures for the web layer: an ingested world, the app, and one account per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from ecredit.ingest.pipeline import ingest_file
from ecredit.privacy.keys import KeyRing
from ecredit.web import accounts
from ecredit.web.accounts import create_api_key, create_user
from ecredit.web.app import create_app
from ecredit.web.settings import WebSettings
from tests.web import world

ROLE_SUBJECTS = {
    "subject": "M1",
    "platform": "P1",
    "agency": "A1",
    "regulator": None,
    "admin": None,
}
PASSWORD = "correct horse battery"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Debian's chromium with Playwright (docs/screenshots/)"
    )


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2, at a cost that keeps account fixtures fast; production keeps the default."""
    monkeypatch.setattr(
        accounts, "PASSWORDS", PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024),))
    )


def ingest_world(engine: sa.Engine, keys: KeyRing, directory: Path) -> None:
    for path in world.write_world(directory):
        report = ingest_file(engine, path, path.stem, keys)
        assert report.rejected == 0, f"{path.name}: {report.rejects_path.read_text()}"


def make_accounts(engine: sa.Engine) -> dict[str, str]:
    """role → API key of an account with that role."""
    keys = {}
    for role, subject in ROLE_SUBJECTS.items():
        create_user(engine, f"test-{role}", PASSWORD, role, subject)
        keys[role] = create_api_key(engine, f"test-{role}", "tests")
    return keys


def web_settings(tmp_path: Path, rate: str = "100000/minute") -> WebSettings:
    return WebSettings(
        key_file=tmp_path / "web-keys.json",
        upload_dir=tmp_path / "uploads",
        public_rate_limit=rate,
        public_base_url="http://testserver",
    )


@dataclass
class Web:
    client: TestClient
    engine: sa.Engine
    api_keys: dict[str, str]

    def as_role(self, role: str) -> dict[str, str]:
        """Headers that authenticate as `role` (none for the public)."""
        return {} if role == "public" else {"X-API-Key": self.api_keys[role]}


@pytest.fixture
def web(engine: sa.Engine, keys: KeyRing, tmp_path: Path) -> Iterator[Web]:
    ingest_world(engine, keys, tmp_path / "world")
    api_keys = make_accounts(engine)
    app = create_app(engine, keys, web_settings(tmp_path))
    with TestClient(app) as client:
        yield Web(client, engine, api_keys)
