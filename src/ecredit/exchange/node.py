"""This node's identity: its id, its authority and the Ed25519 key that signs its batches.

The private key lives in a file outside the database (like the data keys), created once by
`ecredit exchange node init` with owner-only permissions; peers learn the public key out of
band and register it, which is what makes a batch from this node trustworthy to them.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DEFAULT_NODE_FILE = Path("var/node.json")
NODE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class NodeError(Exception):
    pass


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class NodeIdentity:
    node_id: str
    authority: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        return base64.b64encode(_raw_public(self.private_key.public_key())).decode()

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError as exc:
        raise NodeError(f"公钥格式错误 / not an Ed25519 public key: {text!r}") from exc


def signature_valid(public_key: str, message: bytes, signature: str) -> bool:
    try:
        public_key_from_text(public_key).verify(base64.b64decode(signature), message)
    except (InvalidSignature, ValueError, NodeError):
        return False
    return True


def node_file_path() -> Path:
    return Path(os.environ.get("ECREDIT_NODE_FILE", DEFAULT_NODE_FILE))


def init_node(node_id: str, authority: str, path: Path | None = None) -> NodeIdentity:
    path = path or node_file_path()
    if not NODE_ID.match(node_id):
        raise NodeError(
            f"节点编号只能用小写字母、数字和连字符 / "
            f"node id must match {NODE_ID.pattern}: {node_id}"
        )
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    content = {
        "node_id": node_id,
        "authority": authority,
        "private_key": base64.b64encode(raw).decode(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise NodeError(f"节点已初始化 / node already initialised: {path}") from exc
    with os.fdopen(fd, "w") as fh:
        json.dump(content, fh, indent=2)
    return NodeIdentity(node_id, authority, key)


def load_node(path: Path | None = None) -> NodeIdentity:
    path = path or node_file_path()
    if not path.exists():
        raise NodeError(
            f"节点尚未初始化，请先运行 ecredit exchange node init / no node identity at {path}; "
            "run `ecredit exchange node init`"
        )
    content = json.loads(path.read_text())
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(content["private_key"]))
    return NodeIdentity(content["node_id"], content["authority"], key)
