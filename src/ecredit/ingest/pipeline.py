"""Ingestion: stream a file, validate, check references and conflicts, store, report.

Each chunk is committed in one transaction together with its batch counters, so a crash
loses at most the chunk in flight, and a re-run skips every committed row by its content
hash: the import completes exactly once. A row whose id is already stored with different
content is a conflict and is rejected, never silently overwritten.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from ecredit.ingest.readers import Malformed, UnusableInput, estimate_rows, read_chunks
from ecredit.ingest.validate import LINE, REJECT_SCHEMA, Checked, Context, check_chunk
from ecredit.privacy import protect
from ecredit.privacy.keys import KeyRing
from ecredit.records.catalogue import load_catalogue
from ecredit.records.kinds import KINDS, DataClass, Kind
from ecredit.storage import bulk
from ecredit.storage.tables import KIND_TABLES, ingest_batch

REJECT_COLUMNS = ("file", "line", "field", "value", "reason")
KNOWN_IDS_LIMIT = 1_000_000
BULK_LOAD_ROWS = int(os.environ.get("ECREDIT_BULK_LOAD_ROWS", "200000"))
"""From about this many rows on, building indexes once at the end is the faster way."""


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

    def log_detail(self) -> dict[str, str | int]:
        """What the access log keeps of an ingest: the file and the counts, never a row, so
        the command line and the web upload register one shape."""
        return {
            "file": str(self.path),
            "kind": self.kind,
            "batch_id": self.batch_id,
            "rows_read": self.rows_read,
            "inserted": self.inserted,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


@dataclass
class _Run:
    """State of one file's import that outlives a chunk."""

    kind: Kind
    report: IngestReport
    keys: KeyRing
    ctx: Context
    rejects_path: Path
    rejects_written: int = 0
    redelivery: bool = False
    known: dict[str, pl.Series] = field(default_factory=dict)
    """Ids already found stored, by kind. Stored ids are never deleted, so a chunk only looks
    up the ones it has not seen yet; bounded by KNOWN_IDS_LIMIT per kind."""


def guess_kind(path: Path) -> str | None:
    """The kind a file name starts with: `orders.csv`, `orders-2026-10.csv`, `ratings_p1.jsonl`."""
    match = re.match(r"[a-z]+", path.name.lower())
    return match.group(0) if match and match.group(0) in KINDS else None


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
    table = KIND_TABLES[kind.name]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecredit-store") as store:
        writer = store.submit(bulk.ChunkWriter, engine).result()
        try:
            if store.submit(_is_bulk_load, writer, kind, path).result():
                store.submit(writer.drop_secondary_indexes, table).result()
            _pipeline(run, path, encoding, on_bytes, lambda p: store.submit(_store, writer, run, p))
        finally:
            store.submit(writer.ensure_secondary_indexes, table).result()
            store.submit(writer.close).result()
    _finish_batch(engine, run.report)
    return run.report


def _is_bulk_load(writer: bulk.ChunkWriter, kind: Kind, path: Path) -> bool:
    """A large file of a high-volume kind going into a table smaller than the file."""
    rows = estimate_rows(path)
    return (
        kind.high_volume
        and rows >= BULK_LOAD_ROWS
        and writer.stored_rows_below(KIND_TABLES[kind.name], rows)
    )


def _pipeline(
    run: _Run,
    path: Path,
    encoding: str,
    on_bytes: Callable[[int], None],
    submit: Callable[[_Prepared], Future[None]],
) -> None:
    """Prepare chunk n+1 while chunk n is being stored: both cores work, one writer stays."""
    malformed = Malformed()
    pending: Future[None] | None = None

    def hand_over(chunk: pl.DataFrame) -> None:
        nonlocal pending
        prepared = _prepare(run, _with_all_columns(run.kind, chunk), _take_malformed(malformed))
        if pending is not None:
            pending.result()
        pending = submit(prepared)

    try:
        for i, chunk in enumerate(read_chunks(path, encoding, on_bytes, malformed)):
            if i == 0:
                run.report.ignored_columns = _check_header(run.kind, chunk.columns)
            hand_over(chunk)
        if malformed.rows:
            hand_over(pl.DataFrame())
    finally:
        if pending is not None:
            pending.result()


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
    return chunk.select(
        pl.col(LINE).cast(pl.Int64), *(pl.col(c).cast(pl.String) for c in kind.columns)
    )


def _take_malformed(malformed: Malformed) -> pl.DataFrame:
    rows, malformed.rows = malformed.rows, []
    return pl.DataFrame(
        [(n, "", text[:200], "字段数与表头不符 / wrong number of fields") for n, text in rows],
        schema=REJECT_SCHEMA,
        orient="row",
    )


@dataclass(frozen=True)
class _Prepared:
    """A chunk checked on its own, before anything in the database is consulted."""

    rows: pl.DataFrame
    rejects: pl.DataFrame
    rows_read: int
    unchanged: int


def _prepare(run: _Run, chunk: pl.DataFrame, malformed: pl.DataFrame) -> _Prepared:
    checked = check_chunk(run.kind, chunk, run.ctx)
    accepted = _with_row_hash(checked.accepted, run.keys)
    accepted, dup_rejects, dup_unchanged = _dedupe_within(run.kind, accepted)
    return _Prepared(
        rows=_protect(run.kind, accepted, run.keys),
        rejects=pl.concat([malformed, checked.rejects, dup_rejects]),
        rows_read=chunk.height + malformed.height,
        unchanged=dup_unchanged,
    )


def _store(writer: bulk.ChunkWriter, run: _Run, prepared: _Prepared) -> None:
    """Check references and stored keys, insert, and commit rows and counters together."""
    report = run.report
    rows, ref_rejects = _reference_rejects(writer, run, prepared.rows)
    stored_rejects, unchanged = _insert_new(writer, run, rows)
    rejects = pl.concat([prepared.rejects, ref_rejects, stored_rejects])
    report.rows_read += prepared.rows_read
    report.unchanged += unchanged + prepared.unchanged
    report.rejected += rejects.get_column(LINE).n_unique()
    writer.update_counters(
        report.batch_id,
        {
            "rows_read": report.rows_read,
            "rows_inserted": report.inserted,
            "rows_unchanged": report.unchanged,
            "rows_rejected": report.rejected,
        },
    )
    writer.commit()
    _write_rejects(run, rejects)


def _with_row_hash(frame: pl.DataFrame, keys: KeyRing) -> pl.DataFrame:
    """A keyed content hash of the normalised values (independent of input format)."""
    canonical = pl.concat_str(
        [pl.col(c).cast(pl.String).fill_null("\x00") for c in frame.columns if c != LINE],
        separator="\x1f",
    )
    return frame.with_columns(protect.row_hash(keys, canonical).alias("row_hash"))


CONFLICT_REASON = (
    "编号已存在但内容不同（冲突）/ conflict: same id already stored with different content"
)


def _reject_frame(rows: list[tuple[int, str]], field: str, reason: str) -> pl.DataFrame:
    return pl.DataFrame(
        [(line, field, value, reason) for line, value in rows], schema=REJECT_SCHEMA, orient="row"
    )


def _dedupe_within(kind: Kind, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Repeated ids inside one chunk: identical repeats are no-ops, different ones conflicts."""
    key = list(kind.key)
    firsts = frame.unique(subset=key, keep="first", maintain_order=True)
    if firsts.height == frame.height:
        return frame, pl.DataFrame(schema=REJECT_SCHEMA), 0
    later = frame.join(firsts.select(LINE), on=LINE, how="anti")
    compared = later.join(firsts.select(*key, pl.col("row_hash").alias("first_hash")), on=key)
    conflicts = compared.filter(pl.col("row_hash") != pl.col("first_hash")).select(
        LINE, pl.concat_str([pl.col(k).cast(pl.String) for k in key], separator="|")
    )
    rejects = _reject_frame(conflicts.rows(), kind.key[0], CONFLICT_REASON)
    return firsts, rejects, later.height - conflicts.height


def _probe(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index(bulk.PROBE_ROW).with_columns(pl.col(bulk.PROBE_ROW).cast(pl.Int64))


def _reference_rejects(
    writer: bulk.ChunkWriter, run: _Run, frame: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Unknown references, repeated until stable: dropping a row can orphan its children."""
    rejects: list[pl.DataFrame] = []
    changed = True
    while changed:
        changed = False
        for f in run.kind.fields:
            if not f.references:
                continue
            target = KINDS[f.references]
            unknown = _unknown_ids(writer, run, target, frame.get_column(f.name), frame)
            if unknown.is_empty():
                continue
            bad = frame.filter(pl.col(f.name).is_in(unknown.implode()))
            reason = f"未知的{target.zh} / unknown {target.name.removesuffix('s')} id"
            rejects.append(_reject_frame(bad.select(LINE, f.name).rows(), f.name, reason))
            frame = frame.join(bad.select(LINE), on=LINE, how="anti")
            changed = target is run.kind
    return frame, pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)


def _unknown_ids(
    writer: bulk.ChunkWriter, run: _Run, target: Kind, ids: pl.Series, frame: pl.DataFrame
) -> pl.Series:
    """The ids that are neither stored nor (for a kind referring to itself) in this chunk."""
    known = run.known.get(target.name, pl.Series(dtype=pl.String))
    ids = ids.drop_nulls().unique()
    ids = ids.filter(~ids.is_in(known.implode()))
    if target is run.kind:
        ids = ids.filter(~ids.is_in(frame.get_column(target.key[0]).implode()))
    if ids.is_empty():
        return ids
    probe = _probe(ids.to_frame(target.key[0]))
    found = writer.stored(KIND_TABLES[target.name], target.key, probe)
    is_found = probe.get_column(bulk.PROBE_ROW).is_in(found.get_column(bulk.PROBE_ROW).implode())
    found_ids = ids.filter(is_found)
    full = known.len() + found_ids.len() > KNOWN_IDS_LIMIT
    run.known[target.name] = found_ids if full else pl.concat([known, found_ids])
    return ids.filter(~is_found)


def _insert_new(
    writer: bulk.ChunkWriter, run: _Run, rows: pl.DataFrame
) -> tuple[pl.DataFrame, int]:
    """Insert the rows not stored yet; sort stored ones into unchanged and conflicts.

    First loads are the common case, so the insert is tried before any lookup; once a chunk of
    this file repeats stored keys (a re-delivery), later chunks look up first."""
    table = KIND_TABLES[run.kind.name]
    rows = rows.rename({LINE: "source_line"}).with_columns(
        pl.lit(run.report.batch_id, dtype=pl.Int64).alias("batch_id")
    )
    rejects, unchanged = [pl.DataFrame(schema=REJECT_SCHEMA)], 0
    for _attempt in range(3):
        if run.redelivery:
            rows, conflicts, same = _drop_stored(writer, run.kind, rows)
            rejects.append(conflicts)
            unchanged += same
        try:
            writer.insert(table, rows)
        except bulk.DuplicateKey:
            run.redelivery = True
            continue
        run.report.inserted += rows.height
        return pl.concat(rejects), unchanged
    raise bulk.DuplicateKey(f"keys of {run.kind.name} keep being stored concurrently")


def _drop_stored(
    writer: bulk.ChunkWriter, kind: Kind, rows: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Drop rows already stored: unchanged ones silently, different ones as conflicts."""
    indexed = _probe(rows)
    found = writer.stored(
        KIND_TABLES[kind.name], kind.key, indexed.select(bulk.PROBE_ROW, *kind.key), "row_hash"
    ).rename({"row_hash": "stored_hash"})
    matched = indexed.join(found, on=bulk.PROBE_ROW)
    conflicts = matched.filter(pl.col("row_hash") != pl.col("stored_hash")).select(
        "source_line", pl.concat_str([pl.col(k).cast(pl.String) for k in kind.key], separator="|")
    )
    rest = indexed.join(found, on=bulk.PROBE_ROW, how="anti").drop(bulk.PROBE_ROW)
    rejects = _reject_frame(conflicts.rows(), kind.key[0], CONFLICT_REASON)
    return rest, rejects, matched.height - conflicts.height


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
