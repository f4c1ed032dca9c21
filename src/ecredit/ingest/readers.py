"""Stream input files as chunks of text columns, each row with the line it came from.

Files can be far larger than memory, so every reader yields bounded chunks. Line numbers are
kept exact (CSV counts the header as line 1; JSON Lines counts physical lines; Parquet counts
rows from 1) because every reject must point a clerk at the place to fix.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ecredit.ingest.validate import LINE

CHUNK_ROWS = int(os.environ.get("ECREDIT_INGEST_CHUNK_ROWS", "100000"))
"""Rows validated and committed together: bounds memory and what a crash can interrupt."""
SNIFF_BYTES = 1 << 20


class UnusableInput(Exception):
    """The file as a whole cannot be read (missing, wrong encoding, no usable header)."""


@dataclass
class Malformed:
    """Rows the parser itself could not split into fields."""

    rows: list[tuple[int, str]] = field(default_factory=list)


class _CountingReader:
    """Lets the progress bar follow bytes consumed without a second pass over the file."""

    def __init__(self, raw: BinaryIO, on_bytes: Callable[[int], None]) -> None:
        self._raw, self._on_bytes = raw, on_bytes

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._on_bytes(len(data))
        return data

    def __getattr__(self, name: str) -> object:
        return getattr(self._raw, name)


def detect_encoding(path: Path, requested: str) -> str:
    """UTF-8 unless the bytes say otherwise; Chinese platforms often export GB18030/GBK."""
    if requested != "auto":
        try:
            codecs.lookup(requested)
        except LookupError as exc:
            raise UnusableInput(f"未知编码 {requested} / unknown encoding {requested}") from exc
        return requested
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            return "gb18030"
    return "utf-8"


def file_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes:
        return "parquet"
    if ".jsonl" in suffixes or ".ndjson" in suffixes:
        return "jsonl"
    return "csv"


def _csv_chunks(
    path: Path, encoding: str, on_bytes: Callable[[int], None], malformed: Malformed
) -> Iterator[pl.DataFrame]:
    skipped: set[int] = set()

    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped.add(row.number)
        if row.text.strip():
            malformed.rows.append((row.number, row.text))
        return "skip"

    with path.open("rb") as raw:
        header = raw.readline().decode(encoding).lstrip("\ufeff").strip()
    if not header:
        raise UnusableInput("文件为空或缺少表头 / file is empty or has no header")
    columns = [c.strip() for c in next(csv.reader([header]))]
    with path.open("rb") as raw:
        reader = pacsv.open_csv(
            _CountingReader(raw, on_bytes),
            read_options=pacsv.ReadOptions(
                encoding=encoding,
                use_threads=False,
                block_size=8 << 20,
                skip_rows=1,
                column_names=columns,
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
        next_line = 2
        for batch in reader:
            lines, next_line = _assign_lines(batch.num_rows, next_line, skipped)
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            frame = frame.with_columns(pl.Series(LINE, lines))
            yield frame.filter(~pl.all_horizontal(pl.exclude(LINE).is_null()))


def _assign_lines(n: int, start: int, skipped: set[int]) -> tuple[np.ndarray, int]:
    """Physical line numbers of the next n parsed rows, stepping over rows the parser skipped."""
    pending = sum(1 for s in skipped if s >= start)
    candidates = np.arange(start, start + n + pending, dtype=np.int64)
    if pending:
        candidates = candidates[~np.isin(candidates, np.fromiter(skipped, dtype=np.int64))]
    lines = candidates[:n]
    return lines, int(lines[-1]) + 1 if n else start


def _jsonl_chunks(
    path: Path, encoding: str, on_bytes: Callable[[int], None], malformed: Malformed
) -> Iterator[pl.DataFrame]:
    rows: list[dict[str, str | None]] = []
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            on_bytes(len(raw))
            text = raw.decode(encoding).strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
                if not isinstance(obj, dict):
                    raise ValueError
            except ValueError:
                malformed.rows.append((number, text[:200]))
                continue
            rows.append({LINE: number, **{k: _as_text(v) for k, v in obj.items()}})
            if len(rows) >= CHUNK_ROWS:
                yield _rows_frame(rows)
                rows = []
    if rows:
        yield _rows_frame(rows)


def _as_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows_frame(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    names = list(dict.fromkeys(k for row in rows for k in row))
    data = {n: [row.get(n) for row in rows] for n in names}
    schema = {n: (pl.Int64 if n == LINE else pl.String) for n in names}
    return pl.DataFrame(data, schema=schema)


def _parquet_chunks(
    path: Path, _encoding: str, on_bytes: Callable[[int], None], _malformed: Malformed
) -> Iterator[pl.DataFrame]:
    pfile = pq.ParquetFile(path)
    row = 1
    per_row = path.stat().st_size / max(pfile.metadata.num_rows, 1)
    for batch in pfile.iter_batches(batch_size=CHUNK_ROWS):
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        frame = frame.with_columns(pl.all().cast(pl.String)).with_columns(
            pl.int_range(row, row + frame.height, dtype=pl.Int64).alias(LINE)
        )
        row += frame.height
        on_bytes(int(per_row * frame.height))
        yield frame


def estimate_rows(path: Path) -> int:
    """Rows in a file, from its size and the lines in its first mebibyte (Parquet: exact)."""
    if file_format(path) == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    return path.stat().st_size * max(head.count(b"\n"), 1) // max(len(head), 1)


READERS = {"csv": _csv_chunks, "jsonl": _jsonl_chunks, "parquet": _parquet_chunks}


def read_chunks(
    path: Path, encoding: str, on_bytes: Callable[[int], None], malformed: Malformed
) -> Iterator[pl.DataFrame]:
    if not path.is_file():
        raise UnusableInput(f"找不到文件 / file not found: {path}")
    fmt = file_format(path)
    enc = detect_encoding(path, encoding) if fmt != "parquet" else "utf-8"
    try:
        yield from _rechunked(READERS[fmt](path, enc, on_bytes, malformed))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise UnusableInput(f"无法读取文件 / cannot read file {path}: {exc}") from exc


def _rechunked(frames: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """Chunks of exactly CHUNK_ROWS rows (the last may be shorter), whatever the parser yields:
    every chunk costs a few round trips to the database, so small parser blocks are merged."""
    pending = pl.DataFrame()
    for frame in frames:
        pending = pl.concat([pending, frame], how="diagonal_relaxed") if pending.width else frame
        while pending.height >= CHUNK_ROWS:
            yield pending.slice(0, CHUNK_ROWS)
            pending = pending.slice(CHUNK_ROWS)
    if pending.height:
        yield pending
