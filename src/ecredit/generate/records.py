"""Administrative credit records (records.csv) and the later outcomes used for calibration.

Record types, severities and permitted sources come from the policy catalogue, so the world
cannot drift from it. How often a merchant collects each type depends on its latent badness — the
same quantity that drives its complaints, negative ratings and cancellations — and on the
manipulation it was planned to commit; only some manipulators have been caught (PLT01-PLT04,
DET01), which is what leaves work for detection. A few records were corrected: the original keeps
status ``corrected`` and a later record ``supersedes`` it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecredit.generate import columns as col
from ecredit.generate import regions, vocab
from ecredit.generate.entity_tables import carrier_registered, chunks
from ecredit.generate.naming import IdKind, ids, numbered
from ecredit.generate.plan import MerchantFlag, Plan
from ecredit.generate.population import PLATFORMS, Population
from ecredit.generate.rng import Stream, stream
from ecredit.generate.sinks import OUTCOMES, Outputs
from ecredit.records.catalogue import load_catalogue
from ecredit.records.kinds import RECORD_STATUSES, SEVERITIES, SOURCE_KINDS

_DEPARTMENTS = {
    "basic": ("市场监督管理局", "市监"),
    "licence": ("市场监督管理局", "市监许"),
    "penalty": ("市场监督管理局", "市监处罚"),
    "court": ("中级人民法院", "法执"),
    "tax": ("税务局", "税"),
    "complaint": ("市场监督管理局", "市监调"),
    "platform_governance": ("市场监督管理局", "市监网"),
    "commendation": ("商务局", "商"),
    "commitment": ("发展和改革委员会", "发改信用"),
    "detection": ("市场监督管理局", "市监测"),
}
_SOURCE_NAMES = {
    "hotline": "全国12315平台",
    "monitoring": "电子商务信用监测中心",
    "public_report": "社会公众举报",
}
_AMOUNT_YUAN = {
    "PEN02": (2e3, 5e5),
    "PEN03": (1e3, 2e5),
    "PEN05": (5e3, 3e5),
    "PEN06": (1e4, 1e6),
    "TAX02": (1e3, 1e5),
    "TAX03": (1e5, 5e6),
    "CRT01": (1e4, 2e6),
    "CRT02": (5e3, 5e5),
}
_NEGATIVE_RATES = {
    # code: (base rate, extra rate at badness 1) over a merchant's history
    "BAS03": (0.005, 0.1),
    "LIC02": (0.0, 0.05),
    "PEN01": (0.03, 0.4),
    "PEN02": (0.02, 0.5),
    "PEN03": (0.005, 0.15),
    "PEN04": (0.0, 0.06),
    "PEN05": (0.005, 0.15),
    "PEN06": (0.003, 0.2),
    "CRT01": (0.002, 0.12),
    "CRT02": (0.02, 0.2),
    "TAX02": (0.02, 0.2),
    "TAX03": (0.0, 0.04),
    "CMP01": (0.1, 1.2),
    "CMP02": (0.005, 0.15),
    "PLT05": (0.05, 0.6),
    "PLT06": (0.003, 0.2),
    "PLT07": (0.01, 0.2),
    "PLT08": (0.2, 1.5),
    "PLT09": (0.0, 0.05),
    "CMT02": (0.0, 0.15),
    "DET01": (0.02, 0.1),
}
_RECORDS_PER_MERCHANT = 4
"""Roughly how many records a merchant has; sizes the chunks."""
_CAUGHT = {
    # code: (flag, chance the manipulator has been sanctioned for it)
    "PLT01": (MerchantFlag.RING, 0.35),
    "DET01": (MerchantFlag.RING, 0.3),
    "PLT04": (MerchantFlag.EMPTY_PARCEL, 0.3),
    "PLT03": (MerchantFlag.FAKE_TRAFFIC, 0.3),
    "PLT02": (MerchantFlag.INSTIGATOR, 0.3),
}


@dataclass
class _Subjects:
    """The subjects of one chunk, as far as records need them."""

    ids: pa.Array
    region: np.ndarray
    platform: np.ndarray
    since: np.ndarray


@dataclass
class _Drawn:
    subject: np.ndarray
    code: np.ndarray
    decided: np.ndarray

    @staticmethod
    def join(parts: list[_Drawn]) -> _Drawn:
        return _Drawn(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("subject", "code", "decided")
            )
        )


class _Tables:
    """Per-record-type lookups, so that every column is an array operation on type codes."""

    def __init__(self) -> None:
        types = load_catalogue().record_types
        classes = list(_DEPARTMENTS)
        self.index = {t.code: i for i, t in enumerate(types)}
        self.codes = col.vocab([t.code for t in types])
        self.severity = np.array([SEVERITIES.index(t.severity) for t in types])
        self.record_class = np.array([classes.index(t.record_class) for t in types])
        self.sources = np.array(
            [[SOURCE_KINDS.index(t.sources[k % len(t.sources)]) for k in range(6)] for t in types]
        )
        bounds = np.array([_AMOUNT_YUAN.get(t.code, (np.nan, np.nan)) for t in types])
        self.amount_log_bounds = np.log(bounds)
        self.summaries = col.vocab(
            [vocab.RECORD_SUMMARIES[t.code] for t in types]
            + ["更正：" + vocab.RECORD_SUMMARIES[t.code] for t in types]
        )
        cities = regions.CITIES
        self.classes = len(classes)
        self.departments = col.vocab(
            [f"{city}市{_DEPARTMENTS[c][0]}" for city in cities for c in classes]
        )
        self.document_heads = col.vocab(
            [f"{city[:1]}{_DEPARTMENTS[c][1]}〔" for city in cities for c in classes]
        )
        self.platforms = col.vocab([p[0] for p in vocab.PLATFORMS])
        self.other_sources = col.vocab([_SOURCE_NAMES.get(kind, "") for kind in SOURCE_KINDS])


_SEVERITY_VOCAB = col.vocab(SEVERITIES)
_SOURCE_VOCAB = col.vocab(SOURCE_KINDS)
_STATUS_VOCAB = col.vocab(RECORD_STATUSES)
_STATUS = {name: i for i, name in enumerate(RECORD_STATUSES)}
_POSITIVE = SEVERITIES.index("positive")
_MINOR = SEVERITIES.index("minor")
_DEPARTMENT = SOURCE_KINDS.index("department")
_PLATFORM = SOURCE_KINDS.index("platform")


class _Writer:
    def __init__(self, pop: Population, out: Outputs) -> None:
        self.pop = pop
        self.out = out
        self.tables = _Tables()
        self.next_number = 1

    def emit(self, rng: np.random.Generator, subjects: _Subjects, drawn: _Drawn) -> None:
        """Write a chunk's records, each subject's in decision order, corrections at the end."""
        order = np.lexsort((drawn.decided, drawn.subject))
        d = _Drawn(drawn.subject[order], drawn.code[order], drawn.decided[order])
        n = len(d.subject)
        number = self.next_number + np.arange(n)
        self.next_number += n
        negative = self.tables.severity[d.code] != _POSITIVE
        correction_day = d.decided + rng.integers(10, 121, n)
        corrected = (
            negative & (rng.random(n) < 0.015) & (correction_day <= self.pop.timeline.end_day)
        )
        originals = np.flatnonzero(corrected)
        rows = np.concatenate([np.arange(n), originals])
        corrections = self.next_number + np.arange(len(originals))
        self.next_number += len(originals)
        fields = {
            "decided": np.concatenate([d.decided, correction_day[originals]]),
            "number": np.concatenate([number, corrections]),
            "supersedes": np.concatenate([np.full(n, -1), number[originals]]),
            "status": np.concatenate(
                [self._statuses(rng, d, negative, corrected), np.full(len(originals), 0)]
            ),
        }
        self.out.put("records", self._columns(rng, subjects, d.subject[rows], d.code[rows], fields))

    def _statuses(
        self, rng: np.random.Generator, d: _Drawn, negative: np.ndarray, corrected: np.ndarray
    ) -> np.ndarray:
        old = self.pop.timeline.end_day - d.decided > 365
        minor = self.tables.severity[d.code] == _MINOR
        u = rng.random(len(d.subject))
        return np.select(
            [
                corrected,
                negative & (u < 0.02),
                negative & (u < 0.03),
                negative & old & (u < 0.08),
                minor & old,
            ],
            [_STATUS[s] for s in ("corrected", "disputed", "withdrawn", "repaired", "expired")],
            _STATUS["active"],
        )

    def _columns(
        self,
        rng: np.random.Generator,
        subjects: _Subjects,
        subject: np.ndarray,
        code: np.ndarray,
        fields: dict[str, np.ndarray],
    ) -> dict[str, pa.Array]:
        t = self.tables
        m = len(code)
        decided = fields["decided"]
        source = t.sources[code, rng.integers(0, 6, m)]
        department = subjects.region[subject] * t.classes + t.record_class[code]
        platform = subjects.platform[subject]
        year = pa.array(
            decided.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
        ).cast(pa.string())
        serial = rng.integers(1, 3000, m)
        by_department = source == _DEPARTMENT
        by_platform = source == _PLATFORM
        name = pc.if_else(
            pa.array(by_department),
            col.pick(t.departments, department),
            pc.if_else(
                pa.array(by_platform),
                col.pick(t.platforms, platform),
                col.pick(t.other_sources, source),
            ),
        )
        document = pc.if_else(
            pa.array(by_department),
            col.join(
                col.pick(t.document_heads, department),
                year,
                "〕",
                pa.array(serial).cast(pa.string()),
                "号",
            ),
            col.join(
                "PT",
                pa.array(platform + 1).cast(pa.string()),
                "-",
                year,
                "-",
                col.codes("", serial, 6),
            ),
        )
        bounds = t.amount_log_bounds[code]
        has_amount = ~np.isnan(bounds[:, 0])
        yuan = np.exp(np.nan_to_num(bounds[:, 0] + rng.random(m) * (bounds[:, 1] - bounds[:, 0])))
        negative = t.severity[code] != _POSITIVE
        act_ended = np.maximum(decided - rng.integers(5, 181, m), subjects.since[subject])
        supersedes = fields["supersedes"]
        return {
            "record_id": numbered(IdKind.RECORD, fields["number"]),
            "subject_id": subjects.ids.take(pa.array(subject)),
            "type_code": col.pick(t.codes, code),
            "source_kind": col.pick(_SOURCE_VOCAB, source),
            "source_name": name,
            "decided_on": col.dates(decided),
            "severity": col.pick(_SEVERITY_VOCAB, t.severity[code]),
            "status": col.pick(_STATUS_VOCAB, fields["status"]),
            "act_ended_on": col.dates(act_ended, negative),
            "document_no": col.masked(document, by_department | by_platform),
            "amount": col.money(yuan.astype(np.int64) * 100, has_amount),
            "summary": col.pick(t.summaries, code + len(t.severity) * (supersedes >= 0)),
            "supersedes": col.masked(
                numbered(IdKind.RECORD, np.maximum(supersedes, 0)), supersedes >= 0
            ),
        }

    def draw(
        self, rng: np.random.Generator, code: str, rate: np.ndarray, first: np.ndarray
    ) -> _Drawn:
        """Poisson(rate) records of one type per subject, decided between `first` and the end."""
        subject = np.repeat(np.arange(len(rate)), rng.poisson(rate))
        lo = first[subject]
        hi = self.pop.timeline.end_day
        decided = lo + (rng.random(len(subject)) * np.maximum(hi - lo + 1, 1)).astype(np.int64)
        return _Drawn(
            subject, np.full(len(subject), self.tables.index[code]), np.minimum(decided, hi)
        )

    def once(self, code: str, who: np.ndarray, decided: np.ndarray) -> _Drawn:
        """Exactly one record of the type for each subject in `who`, decided on the given day."""
        subject = np.flatnonzero(who)
        return _Drawn(subject, np.full(len(subject), self.tables.index[code]), decided[subject])


def write_records(out: Outputs, seed: int, pop: Population, plan: Plan, chunk: int) -> None:
    """Records of platforms and carriers, then merchants in chunks of about `chunk` records,
    then the review-campaign accounts that platforms caught."""
    writer = _Writer(pop, out)
    _institutions(writer, stream(seed, Stream.RECORDS, 0))
    first_shop = np.full(pop.merchants, -1)
    first_shop[pop.shop_merchant[::-1]] = np.arange(pop.shops)[::-1]
    for i, merchant in enumerate(chunks(pop.merchants, max(1, chunk // _RECORDS_PER_MERCHANT))):
        rng = stream(seed, Stream.RECORDS, i + 1)
        shop = first_shop[merchant]
        subjects = _Subjects(
            ids(IdKind.MERCHANT, merchant),
            pop.merchant_region[merchant],
            pop.shop_platform[shop],
            pop.merchant_registered[merchant],
        )
        writer.emit(rng, subjects, _merchant_records(writer, rng, pop, plan, merchant, shop))
    accounts = plan.malicious_accounts
    if len(accounts):
        rng = stream(seed, Stream.RECORDS, 0, 1)
        subjects = _Subjects(
            ids(IdKind.CONSUMER, accounts),
            pop.consumer_region(accounts),
            rng.integers(0, PLATFORMS, len(accounts)),
            pop.consumer_registered_on(accounts),
        )
        first = np.full(len(accounts), pop.timeline.start_day)
        writer.emit(rng, subjects, writer.draw(rng, "PLT02", np.full(len(accounts), 0.25), first))


def _institutions(writer: _Writer, rng: np.random.Generator) -> None:
    """Platforms and logistics companies: registration, licences and the odd penalty."""
    pop = writer.pop
    for kind, since, codes in (
        (IdKind.PLATFORM, pop.platform_registered, [p[2] for p in vocab.PLATFORMS]),
        (IdKind.LOGISTICS, carrier_registered(pop), [c[3] for c in vocab.CARRIERS]),
    ):
        count = len(codes)
        region = np.array([regions.index_of(c) for c in codes])
        subjects = _Subjects(
            ids(kind, np.arange(count)), region, np.arange(count) % PLATFORMS, since
        )
        everyone = np.ones(count, dtype=bool)
        parts = [writer.once("BAS01", everyone, since), writer.once("LIC01", everyone, since + 90)]
        parts += [
            writer.draw(rng, code, np.full(count, rate), since)
            for code, rate in (("PEN02", 0.5), ("CMP01", 1.5), ("COM02", 0.3))
        ]
        writer.emit(rng, subjects, _Drawn.join(parts))


def _merchant_records(
    writer: _Writer,
    rng: np.random.Generator,
    pop: Population,
    plan: Plan,
    merchant: np.ndarray,
    shop: np.ndarray,
) -> _Drawn:
    bad = pop.merchant_badness[merchant]
    registered = pop.merchant_registered[merchant]
    opened = pop.shop_opened[shop]
    org = (~pop.merchant_person[merchant]).astype(np.float64)
    good = (1 - bad) ** 6
    flags = plan.merchant_flags[merchant]
    n = len(merchant)
    parts = [
        writer.once("BAS01", org > 0, registered),
        writer.once("BAS02", np.ones(n, dtype=bool), opened),
        writer.draw(rng, "LIC01", 0.4 * org, registered),
        writer.draw(rng, "TAX01", 0.25 * org * good, registered),
        writer.draw(rng, "COM01", 0.03 * org * good, registered),
        writer.draw(rng, "COM02", 0.04 * org * good, registered),
        writer.draw(rng, "CMT01", np.full(n, 0.3), opened),
    ]
    parts += [
        writer.draw(rng, code, base + extra * bad**1.5, opened)
        for code, (base, extra) in _NEGATIVE_RATES.items()
    ]
    recent = np.full(n, pop.timeline.start_day + 60)
    parts += [
        writer.draw(rng, code, chance * ((flags & flag) > 0), np.maximum(recent, opened))
        for code, (flag, chance) in _CAUGHT.items()
    ]
    return _Drawn.join(parts)


def write_outcomes(out: Outputs, seed: int, pop: Population, plan: Plan, chunk: int) -> None:
    """Whether each merchant becomes seriously dishonest in the 12 months after the end date."""
    for i, merchant in enumerate(chunks(pop.merchants, chunk)):
        rng = stream(seed, Stream.OUTCOMES, i)
        flags = plan.merchant_flags[merchant]
        logit = (
            -4.2
            + 4.5 * pop.merchant_badness[merchant]
            + 1.5 * ((flags & MerchantFlag.RING) > 0)
            + 1.2 * ((flags & MerchantFlag.EMPTY_PARCEL) > 0)
            + 0.8 * ((flags & MerchantFlag.FAKE_TRAFFIC) > 0)
            + 0.8 * ((flags & MerchantFlag.INSTIGATOR) > 0)
        )
        outcome = rng.random(len(merchant)) < 1 / (1 + np.exp(-logit))
        out.put(
            OUTCOMES,
            {
                "subject_id": ids(IdKind.MERCHANT, merchant),
                "seriously_dishonest_within_12m": col.ints(outcome.astype(np.int64)),
            },
        )
