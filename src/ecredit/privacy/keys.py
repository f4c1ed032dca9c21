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


def _rewrite(path: Path, content: dict[str, object]) -> None:
    """Replace atomically, so a process loading keys mid-rotation sees the old or the new file."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(content, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temp, path)


def add_data_key(path: Path) -> str:
    """Make a new data key the active one; older keys stay for reading what they encrypted."""
    content = json.loads(path.read_text())
    number = 1 + max(int(key_id.removeprefix("k")) for key_id in content["data_keys"])
    key_id = f"k{number}"
    content["data_keys"][key_id] = _b64(secrets.token_bytes(32))
    content["active_key_id"] = key_id
    _rewrite(path, content)
    return key_id


def retire_data_keys(path: Path) -> list[str]:
    """Drop every data key but the active one, once nothing is encrypted under them any more."""
    content = json.loads(path.read_text())
    active = content["active_key_id"]
    retired = sorted(k for k in content["data_keys"] if k != active)
    content["data_keys"] = {active: content["data_keys"][active]}
    _rewrite(path, content)
    return retired


def key_file_path() -> Path:
    return Path(os.environ.get("ECREDIT_KEY_FILE", DEFAULT_KEY_FILE))


def _read_keyring(path: Path) -> KeyRing:
    content = json.loads(path.read_text())
    return KeyRing(
        hmac_key=base64.b64decode(content["hmac_key"]),
        data_keys={k: base64.b64decode(v) for k, v in content["data_keys"].items()},
        active_key_id=content["active_key_id"],
    )


_current: dict[Path, tuple[tuple[int, int], KeyRing]] = {}


def current_keyring(path: Path | None = None) -> KeyRing:
    """The key ring as the file has it now: long-running readers follow a rotation unharmed."""
    path = (path or key_file_path()).resolve()
    if not path.exists():
        new_key_file(path)
    stat = path.stat()
    stamp = (stat.st_ino, stat.st_mtime_ns)
    cached = _current.get(path)
    if cached is None or cached[0] != stamp:
        cached = (stamp, _read_keyring(path))
        _current[path] = cached
    return cached[1]


def load_keyring(path: Path | None = None) -> KeyRing:
    """Load the key ring, creating a fresh one on first run."""
    path = path or key_file_path()
    if not path.exists():
        new_key_file(path)
    return _read_keyring(path)
