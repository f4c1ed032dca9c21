"""Data-key rotation without downtime (`ecredit keys rotate`).

The new key becomes active first, so every new ciphertext already uses it, while the old keys
stay in the key file and readers keep working. Ciphertexts are then re-encrypted in small
committed chunks, each row updated only if it still holds the ciphertext that was read, so a
concurrent writer is never overwritten. Passes repeat until no ciphertext names an old key —
this catches rows a process with a stale key ring wrote meanwhile — and only then are the old
keys dropped. The HMAC key is not rotated: tokens and row hashes must stay comparable with
what earlier imports computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ecredit.audit.log import Action, Actor, log_bulk_operation
from ecredit.privacy.keys import add_data_key, load_keyring, retire_data_keys
from ecredit.privacy.protect import decrypt, encrypt
from ecredit.storage.tables import metadata

CIPHER_SUFFIX = "_cipher"


@dataclass
class RotationReport:
    new_key_id: str
    reencrypted: dict[str, int] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)


def cipher_columns() -> list[tuple[sa.Table, sa.Column]]:
    return [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.c
        if column.name.endswith(CIPHER_SUFFIX)
    ]


def _reencrypt_chunk(
    engine: sa.Engine, table: sa.Table, column: sa.Column, key_file: Path, chunk: int
) -> int:
    keys = load_keyring(key_file)
    name = column.name.removesuffix(CIPHER_SUFFIX)
    key = list(table.primary_key.columns)
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(*key, column)
            .where(column.is_not(None), ~column.startswith(f"{keys.active_key_id}:"))
            .order_by(*key)
            .limit(chunk)
        ).all()
        for row in rows:
            old = row[-1]
            conn.execute(
                table.update()
                .where(*(c == v for c, v in zip(key, row[:-1], strict=True)), column == old)
                .values({column.name: encrypt(keys, name, decrypt(keys, name, old))})
            )
    return len(rows)


def rotate(
    engine: sa.Engine,
    key_file: Path,
    actor: Actor,
    chunk: int = 500,
    on_chunk: Callable[[str, int], None] = lambda _column, _rows: None,
) -> RotationReport:
    report = RotationReport(new_key_id=add_data_key(key_file))
    pending = True
    while pending:
        pending = False
        for table, column in cipher_columns():
            label = f"{table.name}.{column.name}"
            while done := _reencrypt_chunk(engine, table, column, key_file, chunk):
                pending = True
                report.reencrypted[label] = report.reencrypted.get(label, 0) + done
                on_chunk(label, done)
    report.retired = retire_data_keys(key_file)
    log_bulk_operation(
        engine,
        actor,
        Action.KEY_ROTATION,
        {"new_key_id": report.new_key_id, "retired": report.retired, **report.reencrypted},
        purpose="key_rotation",
    )
    return report
