"""Sealing and opening batches.

A batch travels as the exact RFC 8785 canonical JSON bytes that were signed, so opening one
can insist on byte equality: any modified byte either breaks the canonical form or changes a
value the signature covers. Checks run from cheapest to most specific, and the first failure
is reported with where it is; nothing is stored before every check has passed.

A published schema version never changes. This node writes the newest and still reads the
older ones, so receivers can be upgraded before senders.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import rfc8785

from ecredit.audit.log import canonical, iso
from ecredit.exchange.node import NodeIdentity, signature_valid
from ecredit.exchange.peers import Peer

FORMAT, VERSION = "ecredit-exchange", 3
OBJECT_TYPES = ("subject", "record", "record_status", "list_entry", "evaluation", "purge")
DEFS = ("object_header", *OBJECT_TYPES)
READABLE: dict[int, frozenset[str]] = {
    1: frozenset({"subject", "record", "record_status"}),
    2: frozenset({"subject", "record", "record_status", "list_entry", "evaluation"}),
    3: frozenset(OBJECT_TYPES),
}
"""Object types this node accepts in each format version. Version 1 also described list
entries and evaluations, but no node ever exported them and their v1 shape lacks the
lifecycle and reasons, so they are refused rather than held in a shape nothing reads.
Tombstones (`purge`) exist from version 3: v2 was published without them and is frozen."""


def evaluation_key(data: Mapping[str, Any]) -> str:
    """An evaluation has no id of its own: one model's result for a subject on a date is one
    fact, and a re-run of the same model on the same date is a newer version of it."""
    return f"{data['subject_id']}/{data['model_version']}/{data['as_of']}"


def tombstone_key(data: Mapping[str, Any]) -> str:
    """A tombstone is named after what went, so a repeat of the same purge is the same object
    and a second purge of a record filed again is a newer version of it."""
    return f"{data['purged_type']}/{data['purged_id']}"


OBJECT_KEYS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "subject": lambda data: data["subject_id"],
    "record": lambda data: data["record_id"],
    "list_entry": lambda data: data["entry_id"],
    "evaluation": evaluation_key,
    "purge": tombstone_key,
}
"""How an object's id follows from its content; status changes are numbered by their origin."""


class BatchRejected(Exception):
    """A batch that must not be imported; the message says why, in Chinese and English."""


@cache
def schema(version: int = VERSION) -> dict[str, Any]:
    text = (resources.files("ecredit.exchange") / "schema" / f"v{version}.json").read_text(
        encoding="utf-8"
    )
    return json.loads(text)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def content_hash(objects: list[dict[str, Any]]) -> str:
    return sha256(canonical(objects))


def object_hash(obj: dict[str, Any]) -> str:
    """Identity of a statement's content: the same fact relayed by another node hashes equal."""
    return sha256(canonical({"type": obj["type"], "id": obj["id"], "data": obj["data"]}))


def seal(
    identity: NodeIdentity,
    sequence: int,
    since: str,
    until: str,
    objects: list[dict[str, Any]],
    now: datetime,
) -> bytes:
    envelope: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "node": identity.node_id,
        "sequence": sequence,
        "created_at": iso(now),
        "cursor": {"since": since, "until": until},
        "content_hash": content_hash(objects),
        "objects": objects,
    }
    envelope["signature"] = {"alg": "Ed25519", "value": identity.sign(canonical(envelope))}
    return canonical(envelope)


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        envelope = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BatchRejected(f"批次不是有效的 JSON / batch is not valid JSON: {exc}") from exc
    try:
        same = isinstance(envelope, dict) and canonical(envelope) == raw
    except rfc8785.CanonicalizationError as exc:
        raise BatchRejected(
            f"批次含有无法规范化的数值 / batch has unusable numbers: {exc}"
        ) from exc
    if not same:
        raise BatchRejected(
            "批次字节与签名时的规范形式不同（已被修改）/ "
            "batch bytes differ from the signed canonical form (modified)"
        )
    return envelope


@cache
def _validators(version: int) -> dict[str, jsonschema.Draft202012Validator]:
    """The root and each object definition, each resolving references against the root."""
    root = jsonschema.Draft202012Validator(schema(version))
    defs = schema(version)["$defs"]
    return {"": root} | {name: root.evolve(schema=defs[name]) for name in DEFS if name in defs}


def _first_error(version: int, validator: str, instance: object, prefix: str) -> None:
    error = jsonschema.exceptions.best_match(_validators(version)[validator].iter_errors(instance))
    if error is not None:
        where = "/".join([prefix, *(str(p) for p in error.absolute_path)]).strip("/")
        raise BatchRejected(
            f"批次不符合交换格式 v{version} / batch does not match schema v{version} "
            f"at {where or '(batch)'}: {error.message}"
        )


def _version(envelope: dict[str, Any]) -> int:
    """The version whose schema judges the batch; an unknown one is named, not guessed at."""
    version = envelope.get("version")
    if type(version) is int and version in READABLE:  # not bool: True == 1
        return version
    if type(version) is int and version > VERSION:
        raise BatchRejected(
            f"交换格式 v{version} 过新，本节点可读 v1–v{VERSION}，请升级 / format version "
            f"{version} is newer than this node reads (1–{VERSION}); upgrade this node"
        )
    return VERSION


def _check_schema(envelope: dict[str, Any]) -> None:
    """As `$defs/object` says, but each object is checked only against its own type's
    definition: evaluating every `if` of the published schema per object is several times
    slower on large batches."""
    version = _version(envelope)
    objects = envelope.get("objects")
    root = envelope | {"objects": []} if isinstance(objects, list) else envelope
    _first_error(version, "", root, "")
    seen: dict[tuple[str, str], int] = {}
    for i, obj in enumerate(envelope["objects"]):
        _first_error(version, "object_header", obj, f"objects/{i}")
        if obj["type"] not in READABLE[version]:
            raise BatchRejected(
                f"v{version} 批次不接受 {obj['type']} 对象 / objects/{i}: {obj['type']} objects "
                f"are not accepted in format v{version}; the sender must upgrade"
            )
        _first_error(version, obj["type"], obj["data"], f"objects/{i}/data")
        key = OBJECT_KEYS.get(obj["type"])
        if key and key(obj["data"]) != obj["id"]:
            raise BatchRejected(
                f"对象编号与内容不符 / objects/{i}: id {obj['id']!r} but its content names "
                f"{key(obj['data'])!r}"
            )
        if (first := seen.setdefault((obj["type"], obj["id"]), i)) != i:
            raise BatchRejected(
                f"同一对象出现两次 / objects/{i} repeats objects/{first} "
                f"({obj['type']} {obj['id']})"
            )


def open_batch(raw: bytes, trusted: Callable[[str], Peer | None]) -> tuple[dict[str, Any], Peer]:
    """The verified envelope and the peer that signed it, or BatchRejected."""
    envelope = _parse(raw)
    _check_schema(envelope)
    peer = trusted(envelope["node"])
    if peer is None:
        raise BatchRejected(
            f"发送节点不在受信任节点名单中 / node {envelope['node']} is not a trusted peer"
        )
    unsigned = {k: v for k, v in envelope.items() if k != "signature"}
    if not signature_valid(peer.public_key, canonical(unsigned), envelope["signature"]["value"]):
        raise BatchRejected(
            f"签名无效：批次被篡改或非 {peer.node_id} 签发 / bad signature: the batch was "
            f"modified or not signed by {peer.node_id}"
        )
    if content_hash(envelope["objects"]) != envelope["content_hash"]:
        raise BatchRejected("内容哈希不符 / content hash does not match the objects")
    return envelope, peer
