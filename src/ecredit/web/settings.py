"""Settings of the web layer, with defaults that run on one machine out of the box."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_WEB_KEY_FILE = Path("var/web-keys.json")


def _web_key_file() -> Path:
    return Path(os.environ.get("ECREDIT_WEB_KEY_FILE", DEFAULT_WEB_KEY_FILE))


@dataclass(frozen=True)
class WebSettings:
    key_file: Path = field(default_factory=_web_key_file)
    """Ed25519 signing keys and the session secret; like the privacy keys, never in the DB."""
    public_base_url: str = "http://127.0.0.1:8000"
    """Where QR codes and badge links point; a deployment sets its public address."""
    public_rate_limit: str = "120/minute"
    """Per client address, for callers without an account (`limits` notation)."""
    profile_cache_seconds: float = 30.0
    """How stale a public profile may be; 0 computes every request (see `cache.py`)."""
    session_minutes: int = 480
    report_valid_days: int = 90
    badge_valid_days: int = 30
    upload_dir: Path = Path("var/uploads")
    """Files uploaded by authorised sources, kept as received."""
    secure_cookies: bool = False
    """True behind HTTPS; off by default so the loopback demo can log in."""
