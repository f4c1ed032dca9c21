"""Ed25519 keys that sign reports and badges, and the secret that signs session tokens.

Documents must stay verifiable after a key is rotated, so every signature names its key id
and the key file keeps retired keys. The file is created on first run, owner-only, and lives
outside the database for the same reason the privacy keys do.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_json(value: object) -> bytes:
    """One byte string per value, so a signature over it can be checked by anyone."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKeys:
    private_keys: dict[str, Ed25519PrivateKey]
    active_key_id: str
    session_secret: bytes

    def sign(self, payload: bytes) -> tuple[str, bytes]:
        return self.active_key_id, self.private_keys[self.active_key_id].sign(payload)

    def verify(self, kid: str, payload: bytes, signature: bytes) -> bool:
        private = self.private_keys.get(kid)
        if private is None:
            return False
        try:
            private.public_key().verify(signature, payload)
        except InvalidSignature:
            return False
        return True

    def public_keys(self) -> dict[str, str]:
        """Raw public keys (base64url) by key id, for verifiers outside ecredit."""
        return {
            kid: b64url(k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
            for kid, k in self.private_keys.items()
        }


def _new_key_file(path: Path) -> None:
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    kid = key_id(private.public_key())
    content = {
        "active_key_id": kid,
        "ed25519": {kid: b64url(raw)},
        "session_secret": b64url(secrets.token_bytes(32)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(content, fh, indent=2)


def load_signing_keys(path: Path) -> SigningKeys:
    if not path.exists():
        _new_key_file(path)
    content = json.loads(path.read_text())
    return SigningKeys(
        private_keys={
            kid: Ed25519PrivateKey.from_private_bytes(unb64url(raw))
            for kid, raw in content["ed25519"].items()
        },
        active_key_id=content["active_key_id"],
        session_secret=unb64url(content["session_secret"]),
    )
