"""Relational tables, derived from the input kinds so the two can never drift apart.

Every ingested row keeps its provenance (`batch_id`, `source_line`) and a content hash
(`row_hash`) that makes re-imports idempotent and exposes conflicting re-deliveries.
Personal fields never get a clear-text column: they are split into a lookup token, a
ciphertext and a masked form (see `ecredit.privacy`).
"""

from __future__ import annotations

import sqlalchemy as sa

from ecredit.records.kinds import KINDS, DataClass, Field, FieldType, Kind

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

UtcDateTime = sa.DateTime(timezone=True)

_SQL_TYPES: dict[FieldType, sa.types.TypeEngine] = {
    FieldType.TEXT: sa.Text(),
    FieldType.ENUM: sa.String(32),
    FieldType.INT: sa.BigInteger(),
    FieldType.DECIMAL: sa.Numeric(18, 2),
    FieldType.DATE: sa.Date(),
    FieldType.DATETIME: UtcDateTime,
    FieldType.BOOL: sa.Boolean(),
}

PROTECTED_SUFFIXES = ("token", "cipher", "masked")
"""A personal field `x` is stored as `x_token` (keyed HMAC), `x_cipher` (AES-GCM), `x_masked`."""

ingest_batch = sa.Table(
    "ingest_batch",
    metadata,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("source_file", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("rows_read", sa.BigInteger, nullable=False, default=0),
    sa.Column("rows_inserted", sa.BigInteger, nullable=False, default=0),
    sa.Column("rows_unchanged", sa.BigInteger, nullable=False, default=0),
    sa.Column("rows_rejected", sa.BigInteger, nullable=False, default=0),
    sa.Column("status", sa.String(16), nullable=False, default="running"),
)


def storage_columns(f: Field) -> list[str]:
    """Column names a kind field occupies in storage (personal fields occupy three or four)."""
    if f.data_class in (DataClass.PERSONAL, DataClass.SENSITIVE):
        names = [f"{f.name}_{suffix}" for suffix in PROTECTED_SUFFIXES]
        if f.name == "phone":
            names.append("phone_prefix")
        return names
    return [f.name]


def _columns(f: Field, kind: Kind) -> list[sa.Column]:
    if f.data_class in (DataClass.PERSONAL, DataClass.SENSITIVE):
        return [
            sa.Column(
                name,
                sa.Text if name.endswith("cipher") else sa.String(64),
                index=name.endswith("token"),
            )
            for name in storage_columns(f)
        ]
    col_type = _SQL_TYPES[f.type]
    if f.references or (f.name in kind.key and f.type == FieldType.TEXT):
        col_type = sa.String(64)
    args: list[sa.SchemaItem] = []
    if f.references and f.references != kind.name and not kind.high_volume:
        args.append(sa.ForeignKey(f"{f.references}.{KINDS[f.references].key[0]}"))
    if f.name in kind.key:
        return [sa.Column(f.name, col_type, *args, primary_key=True)]
    return [sa.Column(f.name, col_type, *args, nullable=not f.required, index=bool(f.references))]


def _kind_table(kind: Kind) -> sa.Table:
    columns = [c for f in kind.fields for c in _columns(f, kind)]
    batch_fk = [] if kind.high_volume else [sa.ForeignKey("ingest_batch.batch_id")]
    provenance = [
        sa.Column("batch_id", sa.Integer, *batch_fk, nullable=False),
        sa.Column("source_line", sa.BigInteger, nullable=False),
        sa.Column("row_hash", sa.String(32), nullable=False),
    ]
    return sa.Table(kind.name, metadata, *columns, *provenance)


KIND_TABLES: dict[str, sa.Table] = {name: _kind_table(kind) for name, kind in KINDS.items()}

record_status = sa.Table(
    "record_status",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "record_id", sa.String(64), sa.ForeignKey("records.record_id"), nullable=False, index=True
    ),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("changed_at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
"""Append-only status history of a record: the current status is the latest row."""

rating_flag = sa.Table(
    "rating_flag",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "rating_id", sa.String(64), sa.ForeignKey("ratings.rating_id"), nullable=False, index=True
    ),
    sa.Column("valid_score", sa.Boolean, nullable=False),
    sa.Column("shield_reason", sa.String(32)),
    sa.Column("set_at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("case_id", sa.String(64)),
)
"""Append-only: ratings are never deleted or edited; a later flag row overrides an earlier one.
`valid_score = false` removes a rating from credit points (confirmed brushing); `shield_reason`
hides it from public view while keeping it (浙江省电子商务条例 Art.19)."""
