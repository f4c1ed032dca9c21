"""Ingestion: stream a file, validate, check references and conflicts, store, report.

Each chunk is committed in one transaction together with its batch counters, so a crash
loses at most the chunk in flight, and a re-run skips every committed row by its content
hash: the import completes exactly once. A row whose id is already stored with different
content is a conflict and is rejected, never silently overwritten.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from ecredit.ingest.readers import Malformed, UnusableInput, read_chunks
from ecredit.ingest.validate import LINE, REJECT_SCHEMA, Checked, Context, check_chunk
from ecredit.privacy import protect
from ecredit.privacy.keys import KeyRing
from ecredit.records.catalogue import load_catalogue
from ecredit.records.kinds import KINDS, DataClass, Kind
from ecredit.storage import bulk
from ecredit.storage.tables import KIND_TABLES, ingest_batch

REJECT_COLUMNS = ("file", "line", "field", "value", "reason")
KNOWN_ID_CACHE_LIMIT = 2_000_000
"""Referenced ids already confirmed; bounded so memory does not grow with the input."""


@dataclass
class IngestReport:
    kind: str
    path: Path
    batch_id: int = 0
    rows_read: int = 0
    inserted: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class _Run:
    """State of one file's import that outlives a chunk."""

    kind: Kind
    report: IngestReport
    keys: KeyRing
    ctx: Context
    rejects_path: Path
    known_ids: dict[str, set[str]] = field(default_factory=dict)
    rejects_written: int = 0


def guess_kind(path: Path) -> str | None:
    stem = path.name.split(".")[0].lower()
    return stem if stem in KINDS else None


def default_rejects_path(path: Path) -> Path:
    return path.with_name(path.name.split(".")[0] + ".rejects.csv")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def ingest_file(
    engine: sa.Engine,
    path: Path,
    kind_name: str,
    keys: KeyRing,
    *,
    encoding: str = "auto",
    rejects_path: Path | None = None,
    on_bytes: Callable[[int], None] = lambda _n: None,
) -> IngestReport:
    kind = KINDS[kind_name]
    if not path.is_file():
        raise UnusableInput(f"找不到文件 / file not found: {path}")
    run = _Run(
        kind=kind,
        report=IngestReport(kind=kind.name, path=path),
        keys=keys,
        ctx=Context(now=datetime.now(UTC), catalogue_codes=load_catalogue().codes),
        rejects_path=rejects_path or default_rejects_path(path),
    )
    run.rejects_path.unlink(missing_ok=True)
    run.report.batch_id = _start_batch(engine, kind.name, path)
    malformed = Malformed()
    first = True
    for chunk in read_chunks(path, encoding, on_bytes, malformed):
        if first:
            run.report.ignored_columns = _check_header(kind, chunk.columns)
            first = False
        chunk = _with_all_columns(kind, chunk)
        with engine.begin() as conn:
            _ingest_chunk(conn, run, chunk, _take_malformed(malformed))
    if malformed.rows:
        with engine.begin() as conn:
            empty = _with_all_columns(kind, pl.DataFrame())
            _ingest_chunk(conn, run, empty, _take_malformed(malformed))
    _finish_batch(engine, run.report)
    return run.report


def _check_header(kind: Kind, columns: list[str]) -> list[str]:
    present = set(columns)
    missing = [f.name for f in kind.fields if f.required and f.name not in present]
    if missing:
        raise UnusableInput(
            f"缺少必需的列 / missing required columns for {kind.name}: {', '.join(missing)}"
        )
    return sorted(present - set(kind.columns) - {LINE})


def _with_all_columns(kind: Kind, chunk: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in (LINE, *kind.columns) if c not in chunk.columns]
    chunk = chunk.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    return chunk.select(pl.col(LINE).cast(pl.Int64), *(pl.col(c).cast(pl.String) for c in kind.columns))


def _take_malformed(malformed: Malformed) -> pl.DataFrame:
    rows, malformed.rows = malformed.rows, []
    return pl.DataFrame(
        [(n, "", text[:200], "字段数与表头不符 / wrong number of fields") for n, text in rows],
        schema=REJECT_SCHEMA,
        orient="row",
    )


def _ingest_chunk(
    conn: sa.Connection, run: _Run, chunk: pl.DataFrame, malformed: pl.DataFrame
) -> None:
    kind, report = run.kind, run.report
    checked = check_chunk(kind, chunk, run.ctx)
    accepted = _with_row_hash(checked.accepted, run.keys)
    accepted, dup_rejects, dup_unchanged = _dedupe_within(kind, accepted)
    accepted, ref_rejects = _check_references(conn, run, accepted)
    accepted, conflict_rejects, unchanged = _split_stored(conn, kind, accepted)
    rejects = pl.concat([malformed, checked.rejects, dup_rejects, ref_rejects, conflict_rejects])
    stored = _protect(kind, accepted, run.keys).with_columns(
        pl.lit(report.batch_id).alias("batch_id"), pl.col(LINE).alias("source_line")
    )
    table = KIND_TABLES[kind.name]
    bulk.insert_frame(conn, table, stored.select([c.name for c in table.c]))
    report.rows_read += chunk.height + malformed.height
    report.inserted += accepted.height
    report.unchanged += unchanged + dup_unchanged
    report.rejected += rejects.get_column(LINE).n_unique()
    conn.execute(
        ingest_batch.update()
        .where(ingest_batch.c.batch_id == report.batch_id)
        .values(
            rows_read=report.rows_read,
            rows_inserted=report.inserted,
            rows_unchanged=report.unchanged,
            rows_rejected=report.rejected,
        )
    )
    _write_rejects(run, rejects)


def _with_row_hash(frame: pl.DataFrame, keys: KeyRing) -> pl.DataFrame:
    """A keyed content hash of the normalised values (independent of input format)."""
    canonical = frame.select(
        pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("\x00") for c in frame.columns if c != LINE],
            separator="\x1f",
        )
    ).to_series()
    key = keys.hmac_key[:32]
    hashes = [
        hashlib.blake2b(text.encode(), key=key, digest_size=16).hexdigest() for text in canonical
    ]
    return frame.with_columns(pl.Series("row_hash", hashes, dtype=pl.String))


def _conflict_rejects(kind: Kind, frame: pl.DataFrame) -> pl.DataFrame:
    first_key = kind.key[0]
    return frame.select(
        pl.col(LINE),
        pl.lit(first_key).alias("field"),
        pl.concat_str([pl.col(k).cast(pl.String) for k in kind.key], separator="|").alias("value"),
        pl.lit("编号已存在但内容不同（冲突）/ conflict: same id already stored with different content").alias(
            "reason"
        ),
    )


def _dedupe_within(kind: Kind, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Repeated ids inside one chunk: identical repeats are no-ops, different ones conflicts."""
    key = list(kind.key)
    firsts = frame.unique(subset=key, keep="first", maintain_order=True)
    if firsts.height == frame.height:
        return frame, pl.DataFrame(schema=REJECT_SCHEMA), 0
    later = frame.join(firsts.select(LINE), on=LINE, how="anti")
    compared = later.join(firsts.select(*key, pl.col("row_hash").alias("first_hash")), on=key)
    conflicts = compared.filter(pl.col("row_hash") != pl.col("first_hash"))
    return firsts, _conflict_rejects(kind, conflicts), later.height - conflicts.height


def _check_references(
    conn: sa.Connection, run: _Run, frame: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    kind = run.kind
    rejects: list[pl.DataFrame] = []
    for f in kind.fields:
        if not f.references:
            continue
        target = KINDS[f.references]
        values = frame.get_column(f.name).drop_nulls().unique().to_list()
        known = run.known_ids.setdefault(target.name, set())
        if f.references == kind.name:
            known = known | set(frame.get_column(kind.key[0]).to_list())
        unknown = [v for v in values if v not in known]
        found = bulk.existing_ids(conn, KIND_TABLES[target.name], target.key[0], unknown)
        _remember(run, target.name, found)
        missing = sorted(set(unknown) - found)
        if not missing:
            continue
        bad = frame.filter(pl.col(f.name).is_in(missing))
        rejects.append(
            bad.select(
                pl.col(LINE),
                pl.lit(f.name).alias("field"),
                pl.col(f.name).alias("value"),
                pl.lit(f"未知的{target.zh} / unknown {target.name.rstrip('s')} id").alias("reason"),
            )
        )
        frame = frame.filter(~pl.col(f.name).is_in(missing) | pl.col(f.name).is_null())
    return frame, pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)


def _remember(run: _Run, kind_name: str, ids: set[str]) -> None:
    if sum(len(s) for s in run.known_ids.values()) > KNOWN_ID_CACHE_LIMIT:
        run.known_ids.clear()
    run.known_ids.setdefault(kind_name, set()).update(ids)


def _split_stored(
    conn: sa.Connection, kind: Kind, frame: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Drop rows already stored unchanged; reject rows stored with different content."""
    key = list(kind.key)
    stored = bulk.existing_hashes(conn, KIND_TABLES[kind.name], key, frame.select(key))
    if stored.is_empty():
        return frame, pl.DataFrame(schema=REJECT_SCHEMA), 0
    compared = frame.join(stored, on=key, how="left")
    conflicts = compared.filter(
        pl.col("stored_hash").is_not_null() & (pl.col("stored_hash") != pl.col("row_hash"))
    )
    unchanged = compared.filter(pl.col("stored_hash") == pl.col("row_hash")).height
    fresh = compared.filter(pl.col("stored_hash").is_null()).drop("stored_hash")
    return fresh, _conflict_rejects(kind, conflicts), unchanged


def _protect(kind: Kind, frame: pl.DataFrame, keys: KeyRing) -> pl.DataFrame:
    """Replace each personal field by token, ciphertext and masked form (plus phone prefix)."""
    for f in kind.fields:
        if f.data_class not in (DataClass.PERSONAL, DataClass.SENSITIVE):
            continue
        values = frame.get_column(f.name).to_list()
        columns = {
            f"{f.name}_token": [v and protect.token(keys, f.name, v) for v in values],
            f"{f.name}_cipher": [v and protect.encrypt(keys, f.name, v) for v in values],
            f"{f.name}_masked": [v and protect.mask(f.name, v) for v in values],
        }
        if f.name == "phone":
            columns["phone_prefix"] = [v and v[:7] for v in values]
        frame = frame.drop(f.name).with_columns(
            pl.Series(name, data, dtype=pl.String) for name, data in columns.items()
        )
    return frame


def _write_rejects(run: _Run, rejects: pl.DataFrame) -> None:
    if rejects.is_empty():
        return
    personal = {
        f.name for f in run.kind.fields if f.data_class in (DataClass.PERSONAL, DataClass.SENSITIVE)
    }
    new_file = run.rejects_written == 0
    with run.rejects_path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if new_file:
            writer.writerow(REJECT_COLUMNS)
        for line, fld, value, reason in rejects.sort(LINE).iter_rows():
            shown = protect.mask(fld, value) if fld in personal and value else value
            writer.writerow((run.report.path, line, fld, shown, reason))
            run.rejects_written += 1
    run.report.rejects_path = run.rejects_path


def _start_batch(engine: sa.Engine, kind: str, path: Path) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            ingest_batch.insert().values(
                kind=kind,
                source_file=str(path),
                file_sha256=file_sha256(path),
                started_at=datetime.now(UTC),
                rows_read=0,
                rows_inserted=0,
                rows_unchanged=0,
                rows_rejected=0,
                status="running",
            )
        )
        return int(result.inserted_primary_key[0])


def _finish_batch(engine: sa.Engine, report: IngestReport) -> None:
    with engine.begin() as conn:
        conn.execute(
            ingest_batch.update()
            .where(ingest_batch.c.batch_id == report.batch_id)
            .values(finished_at=datetime.now(UTC), status="finished")
        )


__all__ = ["Checked", "IngestReport", "UnusableInput", "guess_kind", "ingest_file"]
