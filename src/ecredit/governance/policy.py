"""Governance policy (governance.yaml) as validated data.

Validation rejects a file that would silently change a legal outcome — a catalogue display
rule with no definition, a measure on an unknown list, a clock without a source — before any
workflow runs with it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ecredit.exchange.policy import load_exchange_policy
from ecredit.records.catalogue import load_catalogue, policy_path
from ecredit.records.kinds import SEVERITIES

Confidence = Literal["V", "S", "R"]


class Unit(StrEnum):
    WORKDAYS = "workdays"
    DAYS = "days"
    MONTHS = "months"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(_Strict):
    source: str
    confidence: Confidence


class Span(_Strict):
    amount: int = Field(ge=0)
    unit: Unit


class Clock(Sourced):
    zh: str
    en: str
    amount: int = Field(ge=0)
    unit: Unit
    extension: int | None = None

    @property
    def span(self) -> Span:
        return Span(amount=self.amount, unit=self.unit)

    @property
    def extension_span(self) -> Span | None:
        return None if self.extension is None else Span(amount=self.extension, unit=self.unit)


class YearSupplement(_Strict):
    source: str
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


SOLAR_TERMS = frozenset(
    {
        *("小寒", "大寒", "立春", "雨水", "惊蛰", "春分", "清明", "谷雨"),
        *("立夏", "小满", "芒种", "夏至", "小暑", "大暑", "立秋", "处暑"),
        *("白露", "秋分", "寒露", "霜降", "立冬", "小雪", "大雪", "冬至"),
    }
)

MonthDay = Annotated[str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]
# Lunar months have 29 or 30 days, so "30" would not exist in some years: the last day of the
# year is named `eve` (除夕) instead, and other lunar days stop at 29.
LunarDay = Annotated[str, Field(pattern=r"^(eve|(0[1-9]|1[0-2])-(0[1-9]|1\d|2\d))$")]


class StatutoryHoliday(_Strict):
    """One festival of 全国年节及纪念日放假办法 Art.2, as days of the Gregorian calendar
    (`solar`, MM-DD), of the lunar calendar (`lunar`, MM-DD or `eve` for 农历除夕) or a solar
    term (`solar_term`, e.g. 清明)."""

    zh: str
    en: str
    solar: tuple[MonthDay, ...] = ()
    lunar: tuple[LunarDay, ...] = ()
    solar_term: str | None = None

    @model_validator(mode="after")
    def _days_exist(self) -> StatutoryHoliday:
        if not (self.solar or self.lunar or self.solar_term):
            raise ValueError(f"statutory holiday {self.zh}: no days given")
        if self.solar_term is not None and self.solar_term not in SOLAR_TERMS:
            raise ValueError(f"statutory holiday {self.zh}: unknown solar term {self.solar_term}")
        for md in self.solar:
            date.fromisoformat(f"2000-{md}")  # 2000 is a leap year: only impossible days fail
        return self


class StatutoryHolidays(Sourced):
    in_force_from: int
    holidays: tuple[StatutoryHoliday, ...]


class CalendarPolicy(_Strict):
    supplements: dict[int, YearSupplement] = {}
    statutory_holidays: StatutoryHolidays | None = None


class Label(_Strict):
    zh: str
    en: str


class ObjectionProfile(Sourced):
    zh: str
    en: str
    mark: Span | None = None
    answer: Span
    answer_from: Literal["filed", "marked"]
    extension: Span | None = None


class ObjectionPolicy(_Strict):
    default_profile: str
    grounds: dict[str, Label]
    profiles: dict[str, ObjectionProfile]

    @model_validator(mode="after")
    def _default_exists(self) -> ObjectionPolicy:
        if self.default_profile not in self.profiles:
            raise ValueError(f"objections: unknown default profile {self.default_profile}")
        return self


class Band(_Strict):
    shown: bool = True
    min_months: int = Field(ge=0)
    max_months: int | None = None


class BySeverity(Sourced):
    kind: Literal["by_severity"]
    zh: str
    en: str
    bands: dict[str, Band]

    @model_validator(mode="after")
    def _every_severity(self) -> BySeverity:
        if missing := set(SEVERITIES) - set(self.bands):
            raise ValueError(f"display by_severity: no band for {sorted(missing)}")
        return self


class SamrPenalty(Sourced):
    kind: Literal["samr_penalty"]
    zh: str
    en: str
    short_months: int
    long_months: int
    short_types: list[str]
    low_fine_types: list[str]
    low_fine_max_cny: Decimal
    repair_min_months: int


class WhileValid(Sourced):
    kind: Literal["while_valid"]
    zh: str
    en: str


class Permanent(Sourced):
    kind: Literal["permanent"]
    zh: str
    en: str


DisplayRule = Annotated[
    BySeverity | SamrPenalty | WhileValid | Permanent, Field(discriminator="kind")
]


class RepairPolicy(Sourced):
    requires_commitment: bool
    commitment_template: str
    fee_cny: Decimal


class Criterion(_Strict):
    kind: Literal["record", "no_record", "confirmed_case", "score_below", "score_at_least"]
    zh: str
    en: str
    codes: list[str] = []
    severities: list[str] = []
    case_kinds: list[str] = []
    within_months: int | None = None
    min_count: int = 1
    score: float | None = None

    @model_validator(mode="after")
    def _complete(self) -> Criterion:
        if self.kind.startswith("score") and self.score is None:
            raise ValueError(f"criterion {self.zh}: {self.kind} needs `score`")
        return self


class ListDefinition(Sourced):
    zh: str
    en: str
    polarity: Literal["red", "black"]
    period_months: int
    early_removal_after_months: int | None
    match: Literal["any", "all"]
    criteria: list[Criterion]


class MeasureDefinition(Sourced):
    zh: str
    en: str
    lists: list[str]
    executors: list[Literal["platform", "department"]]


class PeerListingPolicy(Sourced):
    """跨地区、跨部门联合惩戒: which listings that trusted peers decided trigger this node's
    joint measures. A peer's listing stays the peer's act (it is never decided, lifted or
    stored here as a list entry); this only says whether this node acts on it, so each
    authority can choose whose decisions it executes. `lists` names the list codes applied
    from every peer of one of `authorities` (the authority registered for the peer here);
    `peers` overrides both for one node id — its list codes, `[]` for none."""

    lists: list[str]
    authorities: list[str]
    peers: dict[str, list[str]] = {}

    def lists_from(self, node_id: str, authority: str) -> frozenset[str]:
        """List codes whose entries by this peer apply here."""
        if node_id in self.peers:
            return frozenset(self.peers[node_id])
        return frozenset(self.lists) if authority in self.authorities else frozenset()


class Template(_Strict):
    zh: str
    en: str
    text_zh: str
    text_en: str


class CommitmentPolicy(Sourced):
    signed_record_type: str
    breach_record_type: str
    templates: dict[str, Template]


class Rule(Label):
    level: Literal["low", "medium", "high"]


class ScoreDropRule(Rule):
    min_drop: float


class SurgeRule(Rule):
    recent_days: int
    baseline_months: int
    factor: float
    min_count: int


class WarningPolicy(_Strict):
    score_drop: ScoreDropRule
    complaint_surge: SurgeRule
    confirmed_case: Rule
    list_entry: Rule
    verification_failed: Rule
    public_notice_days: int
    audiences: list[str]


class RetentionPolicy(Sourced):
    transaction_kinds: list[str]
    transaction_min_years: int
    never_deleted: list[str]
    negative_record_years: int
    negative_clock_starts: Literal["act_ended"]


class GovernancePolicy(_Strict):
    version: str
    calendar: CalendarPolicy
    clocks: dict[str, Clock]
    objections: ObjectionPolicy
    display: dict[str, DisplayRule]
    repair: RepairPolicy
    lists: dict[str, ListDefinition]
    measures: dict[str, MeasureDefinition]
    peer_listings: PeerListingPolicy
    commitments: CommitmentPolicy
    warnings: WarningPolicy
    retention: RetentionPolicy

    @model_validator(mode="after")
    def _references_resolve(self) -> GovernancePolicy:
        catalogue = load_catalogue()
        if unknown := {rt.display_rule for rt in catalogue.record_types} - set(self.display):
            raise ValueError(f"catalogue display rules not defined here: {sorted(unknown)}")
        for code, measure in self.measures.items():
            if unknown := set(measure.lists) - set(self.lists):
                raise ValueError(f"measure {code}: unknown lists {sorted(unknown)}")
        peer_lists = {c for codes in self.peer_listings.peers.values() for c in codes}
        if unknown := (set(self.peer_listings.lists) | peer_lists) - set(self.lists):
            raise ValueError(f"peer_listings: unknown lists {sorted(unknown)}")
        authorities = load_exchange_policy().authorities
        if unknown := set(self.peer_listings.authorities) - set(authorities):
            raise ValueError(f"peer_listings: unknown authorities {sorted(unknown)}")
        codes = {self.commitments.signed_record_type, self.commitments.breach_record_type}
        codes |= {c for d in self.lists.values() for cr in d.criteria for c in cr.codes}
        if unknown := codes - catalogue.codes:
            raise ValueError(f"record types not in the catalogue: {sorted(unknown)}")
        if self.repair.commitment_template not in self.commitments.templates:
            raise ValueError(f"repair: unknown template {self.repair.commitment_template}")
        for clock in ("repair_decision", "complaint_accept", "reverification"):
            if clock not in self.clocks:
                raise ValueError(f"clocks: {clock} is required")
        return self


@cache
def load_policy(path: Path | None = None) -> GovernancePolicy:
    path = path or policy_path("governance.yaml")
    return GovernancePolicy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
