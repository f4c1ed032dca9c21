"""The synthetic world: reproducible, faithful to the input kinds, referentially sound, truthful."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import typer
from stdnum import ean
from stdnum.cn import ric, uscc
from typer.testing import CliRunner

from ecredit.cli.generate import generate
from ecredit.generate import WorldConfig, generate_world, vocab
from ecredit.generate.identifiers import gtin13
from ecredit.generate.identifiers import ric as make_ric
from ecredit.generate.identifiers import uscc as make_uscc
from ecredit.generate.regions import CODES
from ecredit.generate.truth import HARD_NEGATIVES, Manipulation
from ecredit.ingest.readers import Malformed, read_chunks
from ecredit.ingest.validate import Context, check_chunk
from ecredit.records.catalogue import load_catalogue
from ecredit.records.kinds import KINDS, Check, FieldType, Kind

END = date(2026, 10, 31)
MERCHANTS = 120
ORDERS = 9_000
SEED = 7
Table = dict[str, list[str | None]]


def _read(path: Path) -> Table:
    with path.open(encoding="utf-8") as f:
        names = f.readline().rstrip("\n").split(",")
    options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names}, strings_can_be_null=True
    )
    return pacsv.read_csv(path, convert_options=options).to_pydict()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("world")
    manifest = generate_world(out, merchants=MERCHANTS, seed=SEED, orders=ORDERS, end_date=END)
    return out, manifest


@pytest.fixture(scope="module")
def tables(world: tuple[Path, dict]) -> dict[str, Table]:
    out, _ = world
    found = {name: _read(out / f"{name}.csv") for name in KINDS}
    found["labels"] = _read(out / "truth" / "labels.csv")
    found["outcomes"] = _read(out / "truth" / "outcomes.csv")
    return found


def _rows(table: Table) -> list[dict[str, str | None]]:
    names = list(table)
    return [dict(zip(names, values, strict=True)) for values in zip(*table.values(), strict=True)]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ts(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")


def test_same_seed_gives_same_bytes(world: tuple[Path, dict], tmp_path: Path) -> None:
    out, manifest = world
    again = generate_world(tmp_path, merchants=MERCHANTS, seed=SEED, orders=ORDERS, end_date=END)
    assert again == manifest
    for name, summary in manifest["files"].items():
        assert _sha256(out / name) == _sha256(tmp_path / name) == summary["sha256"], name
    assert (out / "manifest.json").read_bytes() == (tmp_path / "manifest.json").read_bytes()


def test_other_seed_gives_other_world(world: tuple[Path, dict], tmp_path: Path) -> None:
    _, manifest = world
    other = generate_world(
        tmp_path, merchants=MERCHANTS, seed=SEED + 1, orders=ORDERS, end_date=END
    )
    assert other["files"]["orders.csv"]["sha256"] != manifest["files"]["orders.csv"]["sha256"]


def test_manifest_counts_equal_line_counts(world: tuple[Path, dict]) -> None:
    out, manifest = world
    assert set(manifest["files"]) == {f"{k}.csv" for k in KINDS} | {
        "truth/labels.csv",
        "truth/outcomes.csv",
    }
    for name, summary in manifest["files"].items():
        lines = (out / name).read_bytes().count(b"\n")
        assert lines - 1 == summary["rows"], name
        assert summary["rows"] > 0, name
    assert manifest["files"]["orders.csv"]["rows"] == ORDERS
    assert manifest["seed"] == SEED and manifest["parameters"]["merchants"] == MERCHANTS


def test_headers_are_the_kind_columns(world: tuple[Path, dict]) -> None:
    out, _ = world
    for name, kind in KINDS.items():
        header = (out / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        assert header.split(",") == kind.columns, name
    labels = (out / "truth" / "labels.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    assert labels == "entity_kind,entity_id,manipulation,group_id,detail"
    outcomes = (out / "truth" / "outcomes.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    assert outcomes == "subject_id,seriously_dishonest_within_12m"


def _check_value(kind: Kind, name: str, value: str, regions: set[str], codes: set[str]) -> None:
    field = kind.field(name)
    where = f"{kind.name}.{name}={value!r}"
    if field.max_length is not None:
        assert len(value) <= field.max_length, where
    number: float | None = None
    if field.type == FieldType.ENUM:
        assert value in field.choices, where
    elif field.type == FieldType.INT:
        assert re.fullmatch(r"-?\d+", value), where
        number = int(value)
    elif field.type == FieldType.DECIMAL:
        assert re.fullmatch(r"\d+\.\d\d", value), where
        number = float(value)
    elif field.type == FieldType.DATE:
        assert date.fromisoformat(value) <= END, where
    elif field.type == FieldType.DATETIME:
        assert _ts(value) < datetime.combine(END + timedelta(days=1), datetime.min.time()), where
    elif field.type == FieldType.BOOL:
        assert value in ("true", "false"), where
    if number is not None:
        assert field.minimum is None or number >= field.minimum, where
        assert field.maximum is None or number <= field.maximum, where
    for check in field.checks:
        if check == Check.USCC:
            assert uscc.is_valid(value), where
        elif check == Check.RIC:
            assert ric.is_valid(value) and value[14:17] == "000", where
        elif check == Check.GTIN:
            assert len(value) == 13 and value.startswith("69") and ean.is_valid(value), where
        elif check == Check.MOBILE:
            assert re.fullmatch(r"1[3-9]\d{9}", value), where
        elif check == Check.REGION:
            assert value in regions, where
        elif check == Check.CATALOGUE:
            assert value in codes, where


def test_every_value_passes_the_kind_checks(tables: dict[str, Table]) -> None:
    regions = {f"{c:06d}" for c in CODES}
    codes = set(load_catalogue().codes)
    for name, kind in KINDS.items():
        for field in kind.fields:
            for value in tables[name][field.name]:
                if value is None:
                    assert not field.required, f"{name}.{field.name} is required"
                else:
                    _check_value(kind, field.name, value, regions, codes)


def test_ingestion_validation_accepts_every_row(world: tuple[Path, dict]) -> None:
    out, _ = world
    context = Context(now=datetime.now(UTC), catalogue_codes=load_catalogue().codes)
    for name, kind in KINDS.items():
        malformed = Malformed()
        for chunk in read_chunks(out / f"{name}.csv", "utf-8", lambda _n: None, malformed):
            rejects = check_chunk(kind, chunk, context).rejects
            assert rejects.is_empty(), (name, rejects.head(5).to_dicts())
        assert not malformed.rows, name


def test_identifiers_are_unique(tables: dict[str, Table]) -> None:
    for name, kind in KINDS.items():
        keys = list(zip(*(tables[name][k] for k in kind.key), strict=True))
        assert len(keys) == len(set(keys)), name
    subjects = tables["subjects"]
    for column in ("uscc", "ric"):
        values = [v for v in subjects[column] if v is not None]
        assert len(values) == len(set(values)), column
    assert len(set(tables["products"]["gtin"])) == len(tables["products"]["gtin"])


def test_check_digits_agree_with_stdnum() -> None:
    index = np.arange(0, 50_000, 7)
    region = CODES[index % len(CODES)]
    for code in make_uscc(index, region).to_pylist():
        assert uscc.calc_check_digit(code[:-1]) == code[-1]
    for code in gtin13(index).to_pylist():
        assert ean.calc_check_digit(code[:-1]) == code[-1]
    births = 4_748 + index % 8_000
    for code in make_ric(np.full(len(index), 330106), births).to_pylist():
        assert ric.calc_check_digit(code) == code[-1]


def test_subjects_have_the_identifiers_their_form_needs(tables: dict[str, Table]) -> None:
    for row in _rows(tables["subjects"]):
        if row["legal_form"] == "organisation":
            assert row["uscc"] is not None and row["ric"] is None, row
        elif row["subject_type"] in ("merchant", "courier"):
            assert row["ric"] is not None and row["uscc"] is None, row
    types = Counter(tables["subjects"]["subject_type"])
    assert types["platform"] >= 3 and types["agency"] == 1 and types["logistics"] >= 3
    assert types["merchant"] == MERCHANTS and types["courier"] > 0 and types["consumer"] > 0
    forms = Counter(
        form
        for kind, form in zip(
            tables["subjects"]["subject_type"], tables["subjects"]["legal_form"], strict=True
        )
        if kind == "merchant"
    )
    assert 0.08 < forms["person"] / MERCHANTS < 0.35


def _index(table: Table, key: str) -> dict[str, dict[str, str | None]]:
    return {row[key]: row for row in _rows(table)}


def test_references_resolve(tables: dict[str, Table]) -> None:
    subjects = _index(tables["subjects"], "subject_id")
    shops = _index(tables["shops"], "shop_id")
    products = _index(tables["products"], "product_id")
    orders = _index(tables["orders"], "order_id")

    def kind_of(subject_id: str | None) -> str | None:
        return None if subject_id is None else subjects[subject_id]["subject_type"]

    for shop in shops.values():
        assert kind_of(shop["platform_id"]) == "platform"
        assert kind_of(shop["merchant_id"]) == "merchant"
        assert shop["opened_on"] >= subjects[shop["merchant_id"]]["registered_on"]
    for product in products.values():
        assert product["shop_id"] in shops
        assert product["listed_at"][:10] >= shops[product["shop_id"]]["opened_on"]
        assert product["delisted_at"] is None or product["delisted_at"] > product["listed_at"]
    for order in orders.values():
        product = products[order["product_id"]]
        assert product["shop_id"] == order["shop_id"]
        assert kind_of(order["buyer_id"]) == "consumer"
        assert order["ordered_at"][:10] > shops[order["shop_id"]]["opened_on"]
        assert order["ordered_at"][:10] > subjects[order["buyer_id"]]["registered_on"]
        assert product["listed_at"] <= order["ordered_at"]
        assert product["delisted_at"] is None or order["ordered_at"] < product["delisted_at"]
    seen: set[str] = set()
    for rating in _rows(tables["ratings"]):
        assert rating["order_id"] in orders
        assert orders[rating["order_id"]]["status"] == "completed"
        if rating["parent_rating_id"] is not None:
            assert rating["parent_rating_id"] in seen, "parents come first"
        seen.add(rating["rating_id"])
    for event in _rows(tables["logistics"]):
        assert event["order_id"] in orders
        assert kind_of(event["carrier_id"]) == "logistics"
        assert event["courier_id"] is None or kind_of(event["courier_id"]) == "courier"
        assert orders[event["order_id"]]["shipped_at"] is not None
    for row in _rows(tables["traffic"]):
        assert row["shop_id"] in shops
    for complaint in _rows(tables["complaints"]):
        assert (
            complaint["complainant_id"] is None
            or kind_of(complaint["complainant_id"]) == "consumer"
        )
        assert kind_of(complaint["target_id"]) in ("merchant", "logistics")
        assert complaint["shop_id"] in shops
        assert complaint["order_id"] is None or complaint["order_id"] in orders
    records: set[str] = set()
    for record in _rows(tables["records"]):
        assert record["subject_id"] in subjects
        assert record["supersedes"] is None or record["supersedes"] in records
        records.add(record["record_id"])


def test_timelines_are_consistent(tables: dict[str, Table]) -> None:
    for order in _rows(tables["orders"]):
        if order["paid_at"] is not None:
            assert order["paid_at"] >= order["ordered_at"]
        if order["shipped_at"] is not None:
            assert order["paid_at"] is not None and order["shipped_at"] >= order["paid_at"]
        assert (order["cancelled_by"] is not None) == (order["status"] == "cancelled")
        if order["status"] in ("shipped", "delivered", "completed"):
            assert order["shipped_at"] is not None
    ratings = _index(tables["ratings"], "rating_id")
    for rating in ratings.values():
        if rating["kind"] == "initial":
            assert rating["score"] is not None
        else:
            parent = ratings[rating["parent_rating_id"]]
            elapsed = _ts(rating["rated_at"]) - _ts(parent["rated_at"])
            limit = 180 if rating["kind"] == "follow_up" else 30
            assert timedelta(0) < elapsed <= timedelta(days=limit), rating
        if rating["direction"] == "seller_to_buyer":
            assert rating["dsr_description"] is None
    for row in _rows(tables["traffic"]):
        assert int(row["unique_visitors"]) <= int(row["visits"])
    for complaint in _rows(tables["complaints"]):
        if complaint["resolved_at"] is not None:
            assert complaint["resolved_at"] >= complaint["received_at"]
    events = defaultdict(list)
    for event in _rows(tables["logistics"]):
        events[event["order_id"]].append(event)
    for trail in events.values():
        times = [e["occurred_at"] for e in trail]
        assert times == sorted(times)


def test_activity_is_heavy_tailed_with_daily_rhythm(tables: dict[str, Table]) -> None:
    per_shop = sorted(Counter(tables["orders"]["shop_id"]).values(), reverse=True)
    top = sum(per_shop[: max(1, len(per_shop) // 10)])
    assert top > 0.3 * sum(per_shop), "the top tenth of shops sells a large share"
    hours = Counter(int(ts[11:13]) for ts in tables["orders"]["ordered_at"])
    assert hours[21] > 4 * hours[4]
    statuses = Counter(tables["orders"]["status"])
    assert {"completed", "cancelled", "refunded"} <= set(statuses)
    assert statuses["completed"] > 0.5 * ORDERS


def _labels(tables: dict[str, Table]) -> list[dict[str, str | None]]:
    return _rows(tables["labels"])


def test_truth_labels_refer_to_existing_ids(tables: dict[str, Table]) -> None:
    existing = {
        "subject": set(tables["subjects"]["subject_id"]),
        "shop": set(tables["shops"]["shop_id"]),
        "order": set(tables["orders"]["order_id"]),
        "rating": set(tables["ratings"]["rating_id"]),
        "tracking_no": set(tables["logistics"]["tracking_no"]),
    }
    found = set()
    for label in _labels(tables):
        assert label["entity_id"] in existing[label["entity_kind"]], label
        assert label["detail"].startswith("role=")
        assert label["group_id"]
        found.add(label["manipulation"])
    assert found == {m.value for m in Manipulation}
    assert HARD_NEGATIVES.issubset(Manipulation)


def _ring_details(tables: dict[str, Table]) -> dict[str, dict[str, str]]:
    rings = {}
    for label in _labels(tables):
        if label["manipulation"] == "brushing":
            rings[label["group_id"]] = dict(
                part.split("=") for part in label["detail"].split(";") if part
            )
    return rings


def test_rings_have_the_requested_density(tables: dict[str, Table]) -> None:
    orders = _index(tables["orders"], "order_id")
    members: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for label in _labels(tables):
        if label["manipulation"] != "brushing":
            continue
        role = label["detail"].split(";")[0]
        members[label["group_id"]][role].add(label["entity_id"])
        if role == "role=fake_order":
            order = orders[label["entity_id"]]
            pairs[label["group_id"]].add((order["buyer_id"], order["shop_id"]))
    rings = _ring_details(tables)
    densities = {float(detail["density"]) for detail in rings.values()}
    assert {0.2, 0.1} <= densities
    for group, detail in rings.items():
        buyers, shops = members[group]["role=fake_buyer"], members[group]["role=colluding_shop"]
        assert len(buyers) == int(detail["buyers"]) and len(shops) == int(detail["shops"])
        block = len(buyers) * len(shops)
        assert {b for b, _ in pairs[group]} == buyers and {s for _, s in pairs[group]} == shops
        assert len(pairs[group]) == int(detail["pairs"])
        assert abs(len(pairs[group]) / block - float(detail["density"])) <= 0.5 / block + 1e-9


def test_brushing_has_camouflage_shared_devices_and_low_prices(tables: dict[str, Table]) -> None:
    orders = _index(tables["orders"], "order_id")
    ring_shops = {
        label["entity_id"]
        for label in _labels(tables)
        if label["detail"].startswith("role=colluding_shop")
    }
    camouflage = [
        orders[label["entity_id"]]
        for label in _labels(tables)
        if label["detail"].startswith("role=camouflage")
    ]
    assert camouflage
    assert all(order["shop_id"] not in ring_shops for order in camouflage)
    fake = [
        orders[label["entity_id"]]
        for label in _labels(tables)
        if label["detail"].startswith("role=fake_order")
    ]
    devices = Counter(order["device_id"] for order in fake)
    assert max(devices.values()) > 2, "fake accounts share devices"
    honest = [o for o in orders.values() if o["shop_id"] not in ring_shops]
    prices = dict(
        zip(tables["products"]["product_id"], tables["products"]["list_price"], strict=True)
    )

    def far_below_list(order: dict[str, str | None]) -> bool:
        return float(order["unit_price"]) < 0.2 * float(prices[order["product_id"]])

    cheap = sum(far_below_list(o) for o in fake)
    honest_cheap = sum(far_below_list(o) for o in honest)
    assert cheap / len(fake) > 0.3 > honest_cheap / len(honest)


def test_empty_parcels_look_fake(tables: dict[str, Table]) -> None:
    fake_orders = {
        label["entity_id"]
        for label in _labels(tables)
        if label["manipulation"] == "empty_parcel" and label["entity_kind"] == "order"
    }
    assert fake_orders
    trails = defaultdict(list)
    for event in _rows(tables["logistics"]):
        if event["order_id"] in fake_orders:
            trails[event["order_id"]].append(event)
    tracking = Counter(trail[0]["tracking_no"] for trail in trails.values())
    assert max(tracking.values()) > 1, "tracking numbers are reused"
    signed = Counter()
    for trail in trails.values():
        assert all(e["event_type"] != "pickup" for e in trail)
        assert all(e["weight_g"] == "0" for e in trail)
        signed.update(e["occurred_at"] for e in trail if e["event_type"] == "signed")
    assert max(signed.values()) > 1, "parcels signed at the same second"


def test_hard_negatives_are_genuine(tables: dict[str, Table]) -> None:
    orders = _index(tables["orders"], "order_id")
    by_group: dict[str, list[dict]] = defaultdict(list)
    for label in _labels(tables):
        if label["entity_kind"] == "order" and label["manipulation"] in HARD_NEGATIVES:
            by_group[label["group_id"]].append(orders[label["entity_id"]])
    flash = [g for g in by_group if g.startswith("FS")]
    loyal = [g for g in by_group if g.startswith("LB")]
    assert flash and loyal
    for group in flash:
        burst = by_group[group]
        times = sorted(_ts(o["ordered_at"]) for o in burst)
        assert times[-1] - times[0] < timedelta(hours=1)
        assert len({o["buyer_id"] for o in burst}) == len(burst) >= 20
        assert len({o["device_id"] for o in burst}) == len(burst)
    for group in loyal:
        repeat = by_group[group]
        assert (
            len({o["buyer_id"] for o in repeat}) == 1 and len({o["shop_id"] for o in repeat}) == 1
        )
        assert len(repeat) >= 10
    hubs = [lab for lab in _labels(tables) if lab["manipulation"] == "hub_shop"]
    buyers = Counter(o["shop_id"] for o in orders.values())
    assert all(buyers[h["entity_id"]] >= np.percentile(list(buyers.values()), 90) for h in hubs)


def test_fake_traffic_is_out_of_line_with_orders(tables: dict[str, Table]) -> None:
    boosted = {}
    for label in _labels(tables):
        if label["manipulation"] == "fake_traffic" and label["entity_kind"] == "shop":
            detail = dict(part.split("=") for part in label["detail"].split(";"))
            boosted[label["entity_id"]] = (detail["from"], detail["to"])
    assert boosted
    visits: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for row in _rows(tables["traffic"]):
        if row["shop_id"] in boosted:
            first, last = boosted[row["shop_id"]]
            visits[row["shop_id"], first <= row["day"] <= last].append(int(row["visits"]))
    for shop in boosted:
        assert np.mean(visits[shop, True]) > 3 * np.mean(visits[shop, False] or [1]), shop


def test_outcomes_cover_merchants_and_follow_bad_behaviour(tables: dict[str, Table]) -> None:
    outcomes = dict(
        zip(
            tables["outcomes"]["subject_id"],
            tables["outcomes"]["seriously_dishonest_within_12m"],
            strict=True,
        )
    )
    merchants = {
        row["subject_id"] for row in _rows(tables["subjects"]) if row["subject_type"] == "merchant"
    }
    assert set(outcomes) == merchants and set(outcomes.values()) <= {"0", "1"}
    serious = Counter(
        r["subject_id"] for r in _rows(tables["records"]) if r["severity"] in ("serious", "general")
    )
    bad = [m for m in merchants if outcomes[m] == "1"]
    good = [m for m in merchants if outcomes[m] == "0"]
    assert bad and np.mean([serious[m] for m in bad]) > np.mean([serious[m] for m in good])


def test_no_text_needs_quoting() -> None:
    texts = [
        value for name in dir(vocab) if name.isupper() for value in _strings(getattr(vocab, name))
    ]
    assert texts and not [t for t in texts if re.search(r'[,"\n\r]', t)]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, tuple | list):
        return [s for v in value for s in _strings(v)]
    return (
        [s for v in vars(value).values() for s in _strings(v)] if hasattr(value, "__dict__") else []
    )


def test_parquet_has_the_kind_schema(tmp_path: Path) -> None:
    manifest = generate_world(
        tmp_path, merchants=30, seed=3, orders=2_000, end_date=END, file_format="parquet"
    )
    for name, kind in KINDS.items():
        table = pq.read_table(tmp_path / f"{name}.parquet")
        assert table.column_names == kind.columns
        assert table.num_rows == manifest["files"][f"{name}.parquet"]["rows"]


def test_streaming_in_small_chunks_changes_nothing_but_chunking(tmp_path: Path) -> None:
    config = WorldConfig(chunk_orders=1_000, chunk_entities=50)
    manifest = generate_world(tmp_path, merchants=40, seed=5, orders=3_000, config=config)
    assert manifest["files"]["orders.csv"]["rows"] == 3_000
    assert (tmp_path / "orders.csv").read_bytes().count(b"\n") == 3_001
    numbers = [int(line[2:14]) for line in (tmp_path / "orders.csv").read_text().splitlines()[1:]]
    assert numbers == list(range(1, 3_001))


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_world(tmp_path, merchants=50, seed=1, file_format="xlsx")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        generate_world(tmp_path, merchants=5, seed=1)


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    generate_world(
        tmp_path, merchants=20, seed=1, orders=1_500, progress=lambda s, n: seen.append((s, n))
    )
    assert seen[-1] == ("done", 1_500)
    assert [n for _, n in seen] == sorted(n for _, n in seen)


def test_cli_generates_a_world(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(generate)
    result = CliRunner().invoke(
        app, ["--out", str(tmp_path), "--merchants", "20", "--orders", "1500", "--seed", "9"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["orders.csv"]["rows"] == 1_500
    bad = CliRunner().invoke(app, ["--out", str(tmp_path), "--format", "xlsx"])
    assert bad.exit_code != 0
