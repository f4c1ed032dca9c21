"""Output files: one per input kind plus the truth files, streamed chunk by chunk.

Writing runs on a single background thread so that formatting and compression overlap with
generating the next chunk (the second core), while the single thread keeps every file's chunks in
submission order — a requirement for byte-identical output. Each file is hashed as its bytes are
written, so the manifest needs no second pass over tens of gigabytes.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ecredit.generate.columns import MONEY
from ecredit.records.kinds import KINDS, FieldType, Kind

_ARROW_TYPES = {
    FieldType.TEXT: pa.string(),
    FieldType.ENUM: pa.string(),
    FieldType.INT: pa.int64(),
    FieldType.DECIMAL: MONEY,
    FieldType.DATE: pa.date32(),
    FieldType.DATETIME: pa.timestamp("s"),
    FieldType.BOOL: pa.bool_(),
}
LABELS_SCHEMA = pa.schema(
    [
        (name, pa.string())
        for name in ("entity_kind", "entity_id", "manipulation", "group_id", "detail")
    ]
)
OUTCOMES_SCHEMA = pa.schema(
    [("subject_id", pa.string()), ("seriously_dishonest_within_12m", pa.int64())]
)
LABELS = "truth/labels.csv"
OUTCOMES = "truth/outcomes.csv"
_MAX_PENDING = 4
_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none")


def arrow_schema(kind: Kind) -> pa.Schema:
    return pa.schema([(f.name, _ARROW_TYPES[f.type]) for f in kind.fields])


@dataclass(frozen=True)
class FileSummary:
    rows: int
    sha256: str


class _HashingFile:
    """A write-only file object that hashes what passes through it."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO = path.open("wb")
        self._hash = hashlib.sha256()
        self.closed = False

    def write(self, data: bytes | pa.Buffer) -> int:
        self._hash.update(data)
        return self._file.write(data)

    def flush(self) -> None:
        self._file.flush()

    def tell(self) -> int:
        return self._file.tell()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self.closed = True

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class _Sink:
    """One output file. CSV chunks are formatted into Arrow's own memory buffer first: formatting
    then runs without the GIL, in parallel with generation, and the bytes are hashed and written
    in one go."""

    def __init__(self, path: Path, schema: pa.Schema, csv: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.rows = 0
        self._file = _HashingFile(path)
        self._parquet: pq.ParquetWriter | None = None
        if csv:
            self._file.write((",".join(schema.names) + "\n").encode())
        else:
            self._parquet = pq.ParquetWriter(self._file, schema, compression="zstd")

    def write(self, table: pa.Table) -> None:
        if self._parquet is not None:
            self._parquet.write_table(table)
        else:
            buffer = pa.BufferOutputStream()
            pacsv.write_csv(table, buffer, _CSV_OPTIONS)
            self._file.write(buffer.getvalue())
        self.rows += table.num_rows

    def close(self) -> FileSummary:
        if self._parquet is not None:
            self._parquet.close()
        self._file.close()
        return FileSummary(self.rows, self._file.hexdigest())


class Outputs:
    """All output files of one world, written in the background in submission order."""

    def __init__(self, out_dir: Path, file_format: str) -> None:
        self._sinks: dict[str, _Sink] = {}
        csv = file_format == "csv"
        for kind in KINDS.values():
            name = f"{kind.name}.{file_format}"
            self._sinks[kind.name] = _Sink(out_dir / name, arrow_schema(kind), csv)
        self._sinks[LABELS] = _Sink(out_dir / LABELS, LABELS_SCHEMA, csv=True)
        self._sinks[OUTCOMES] = _Sink(out_dir / OUTCOMES, OUTCOMES_SCHEMA, csv=True)
        self._paths = {key: f"{key}.{file_format}" for key in KINDS} | {
            LABELS: LABELS,
            OUTCOMES: OUTCOMES,
        }
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecredit-writer")
        self._pending: deque[Future[None]] = deque()

    def put(self, target: str, columns: Mapping[str, pa.Array | pa.ChunkedArray]) -> None:
        """Queue one chunk; `columns` must name exactly the target's columns, in any order."""
        sink = self._sinks[target]
        if set(columns) != set(sink.schema.names):
            raise ValueError(f"{target}: columns {sorted(columns)} != {sink.schema.names}")
        arrays = [columns[name] for name in sink.schema.names]
        table = pa.Table.from_arrays(arrays, schema=sink.schema)
        if table.num_rows == 0:
            return
        self._pending.append(self._pool.submit(sink.write, table))
        while len(self._pending) > _MAX_PENDING:
            self._pending.popleft().result()

    def close(self) -> dict[str, FileSummary]:
        """Finish every file; returns summaries keyed by path relative to the output directory."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True)
        return {self._paths[key]: sink.close() for key, sink in self._sinks.items()}
