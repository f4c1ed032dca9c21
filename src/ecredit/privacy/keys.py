"""Keys for personal information, kept outside the database.

A stolen database file alone must not reveal ID numbers or phone numbers, so the keys live in
the environment (`ECREDIT_KEY_FILE` pointing at a key file) or in a key file created on first
run with owner-only permissions. Data keys carry an id so that they can be rotated: every
ciphertext names the key that made it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_KEY_FILE = Path("var/keys.json")


@dataclass(frozen=True)
class KeyRing:
    hmac_key: bytes
    data_keys: dict[str, bytes]
    active_key_id: str

    @property
    def active_data_key(self) -> bytes:
        return self.data_keys[self.active_key_id]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def new_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {
        "hmac_key": _b64(secrets.token_bytes(32)),
        "data_keys": {"k1": _b64(secrets.token_bytes(32))},
        "active_key_id": "k1",
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(content, fh, indent=2)


def key_file_path() -> Path:
    return Path(os.environ.get("ECREDIT_KEY_FILE", DEFAULT_KEY_FILE))


def load_keyring(path: Path | None = None) -> KeyRing:
    """Load the key ring, creating a fresh one on first run."""
    path = path or key_file_path()
    if not path.exists():
        new_key_file(path)
    content = json.loads(path.read_text())
    return KeyRing(
        hmac_key=base64.b64decode(content["hmac_key"]),
        data_keys={k: base64.b64decode(v) for k, v in content["data_keys"].items()},
        active_key_id=content["active_key_id"],
    )
