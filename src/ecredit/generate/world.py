"""`generate_world`: build the population, plan campaigns, stream every file, write the manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from ecredit.generate.calendar import Timeline
from ecredit.generate.complaints import complaint_columns
from ecredit.generate.config import GENERATOR_VERSION, WorldConfig
from ecredit.generate.entity_tables import write_products, write_shops, write_subjects
from ecredit.generate.logistics import logistics_columns, tracking_numbers
from ecredit.generate.naming import Books
from ecredit.generate.orders import NONE, OrderBatch, OrderStream, order_columns
from ecredit.generate.plan import Plan, Role, plan_world, write_entity_labels
from ecredit.generate.population import CARRIERS, PLATFORMS, Population, build_population
from ecredit.generate.ratings import rating_columns
from ecredit.generate.records import write_outcomes, write_records
from ecredit.generate.rng import Stream, stream
from ecredit.generate.sinks import Outputs
from ecredit.generate.traffic import TrafficBuilder
from ecredit.generate.truth import write_labels

Progress = Callable[[str, int], None]
"""Called with (stage, orders written so far); stages are short English phrases."""

_ORDER_ROLES = {
    Role.BRUSHING: "fake_order",
    Role.CAMOUFLAGE: "camouflage",
    Role.MALICIOUS: "order",
    Role.FLASH: "flash_order",
    Role.LOYAL: "repeat_order",
}


def generate_world(
    out_dir: Path,
    *,
    merchants: int,
    seed: int,
    orders: int | None = None,
    end_date: date = date(2026, 10, 31),
    file_format: Literal["csv", "parquet"] = "csv",
    progress: Progress | None = None,
    config: WorldConfig | None = None,
) -> dict:
    """Write a synthetic e-commerce world to `out_dir` and return its manifest.

    The same arguments always produce byte-identical files (given the numpy and pyarrow versions
    recorded in the manifest). `orders` defaults to `config.orders_per_merchant` per merchant.
    """
    config = config or WorldConfig()
    orders = config.orders_per_merchant * merchants if orders is None else orders
    _check(merchants, orders, file_format, config)
    report = progress or (lambda stage, done: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    report("population", 0)
    timeline = Timeline(end_date, config.history_days)
    pop = build_population(seed, timeline, merchants, orders, config)
    plan = plan_world(seed, pop, orders, config)
    out = Outputs(out_dir, file_format)
    try:
        report("subjects, shops, products", 0)
        write_subjects(out, pop, config.chunk_entities)
        write_shops(out, pop, config.chunk_entities)
        write_products(out, pop, config.chunk_entities)
        write_entity_labels(out, plan)
        _write_orders(out, seed, pop, plan, orders, config, report)
        report("records and outcomes", orders)
        write_records(out, seed, pop, plan, config.chunk_entities)
        write_outcomes(out, seed, pop, plan, config.chunk_entities)
    finally:
        files = out.close()
    manifest = {
        "generator": "ecredit.generate",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "parameters": {
            "merchants": merchants,
            "orders": orders,
            "end_date": end_date.isoformat(),
            "file_format": file_format,
            "config": asdict(config),
        },
        "environment": {"numpy": np.__version__, "pyarrow": pa.__version__},
        "entities": {
            "platforms": PLATFORMS,
            "shops": pop.shops,
            "products": pop.products,
            "consumers": pop.consumers,
            "couriers": pop.couriers,
        },
        "campaigns_skipped": plan.skipped,
        "files": {name: {"rows": s.rows, "sha256": s.sha256} for name, s in files.items()},
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    report("done", orders)
    return manifest


def _check(merchants: int, orders: int, file_format: str, config: WorldConfig) -> None:
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', not {file_format!r}")
    if merchants < 10:
        raise ValueError("need at least 10 merchants")
    if orders < 500:
        raise ValueError("need at least 500 orders")
    if config.history_days < 180 or not 1 <= config.traffic_days <= config.history_days:
        raise ValueError("history_days must be at least 180 and cover traffic_days")


def _write_orders(
    out: Outputs,
    seed: int,
    pop: Population,
    plan: Plan,
    orders: int,
    config: WorldConfig,
    report: Progress,
) -> None:
    end_ts = pop.timeline.end_ts
    books = Books.of(pop.shops, pop.merchants, pop.couriers, CARRIERS)
    traffic = TrafficBuilder(seed, pop, books, plan.fake_traffic, config.traffic_days)
    parcels_used = np.zeros(len(plan.parcel_numbers), dtype=bool)
    complaints = 1
    done = 0
    for i, batch in enumerate(OrderStream(seed, pop, plan, orders, config)):
        out.put("orders", order_columns(batch, books))
        ratings, rating_labels = rating_columns(stream(seed, Stream.RATINGS, i), batch, end_ts)
        out.put("ratings", ratings)
        out.put("logistics", logistics_columns(pop, books, batch, end_ts))
        columns = complaint_columns(
            stream(seed, Stream.COMPLAINTS, i), books, batch, end_ts, complaints
        )
        complaints += len(columns["complaint_id"])
        out.put("complaints", columns)
        traffic.add(out, batch)
        _label_orders(out, plan, batch)
        for labelled in rating_labels:
            for role in np.unique(labelled.role).tolist():
                pick = labelled.role == role
                write_labels(
                    out,
                    "rating",
                    labelled.rating_ids.filter(pick),
                    plan.groups,
                    labelled.group[pick],
                    role,
                )
        parcels_used[_used_parcels(plan, batch, end_ts)] = True
        done += len(batch)
        report("orders", done)
    traffic.flush(out, pop.timeline.end_day + 1)
    used = np.flatnonzero(parcels_used)
    write_labels(
        out,
        "tracking_no",
        tracking_numbers(plan.parcel_carriers[used], plan.parcel_numbers[used]),
        plan.groups,
        plan.parcel_number_groups[used],
        "fake_tracking_no",
    )


def _label_orders(out: Outputs, plan: Plan, b: OrderBatch) -> None:
    for role, name in _ORDER_ROLES.items():
        rows = np.flatnonzero(b.role == role)
        write_labels(out, "order", b.order_ids.take(rows), plan.groups, b.group[rows], name)
    rows = np.flatnonzero(b.parcel_group >= 0)
    write_labels(
        out, "order", b.order_ids.take(rows), plan.groups, b.parcel_group[rows], "fake_shipment"
    )


def _used_parcels(plan: Plan, b: OrderBatch, end_ts: int) -> np.ndarray:
    """Pool positions of the empty-parcel tracking numbers that appear in this chunk's events."""
    scanned = (b.parcel >= 0) & (b.transit_out != NONE) & (b.transit_out <= end_ts)
    return np.searchsorted(plan.parcel_numbers, b.parcel[scanned])
