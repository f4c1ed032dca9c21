"""The evaluation model as versioned policy data: rating rules, indicator system, grades.

Policy staff change numbers in YAML, not code; validation here rejects a file that would
silently mis-score (an unknown indicator in a weight list, a normalisation pointing the wrong
way, grade bands out of order) before any evaluation runs with it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, model_validator

from ecredit.records.catalogue import policy_path


class Label(BaseModel):
    zh: str
    en: str


class Level(Label):
    min_points: int


class CreditPoints(BaseModel):
    pair_cap_per_natural_month: int
    same_item_dedupe_days: int


class PositiveRate(BaseModel):
    window_months: int
    dedupe: Literal["same_rater_same_calendar_week"]


class BayesPrior(BaseModel):
    count: float
    mean: float


class Dsr(BaseModel):
    dimensions: list[str]
    scale: tuple[int, int]
    window_days: int
    min_ratings_to_show: int
    bayes_prior: BayesPrior


class Reply(BaseModel):
    window_days: int
    max_chars: int
    max_replies: int


class RatingPolicy(BaseModel):
    version: str
    calendar_utc_offset_hours: int
    values: dict[str, int]
    credit_points: CreditPoints
    levels: list[Level]
    positive_rate: PositiveRate
    dsr: Dsr
    follow_up_window_days: int
    reply: Reply
    shield_reasons: list[str]

    @model_validator(mode="after")
    def _levels_ascend(self) -> RatingPolicy:
        points = [level.min_points for level in self.levels]
        if points != sorted(set(points)):
            raise ValueError("levels must have strictly ascending min_points")
        return self


WINDOW = re.compile(r"^(all|lookback|display|(\d+)(d|mo))$")


class Normalisation(BaseModel):
    kind: Literal["linear", "bins"]
    worst: float | None = None
    best: float | None = None
    edges: list[float] = Field(default_factory=list)
    scores: list[float] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> Normalisation:
        if self.kind == "linear" and (
            self.worst is None or self.best is None or self.worst == self.best
        ):
            raise ValueError("linear normalisation needs distinct worst and best")
        if self.kind == "bins" and len(self.scores) != len(self.edges) + 1:
            raise ValueError("bins need one more score than edges")
        if self.kind == "bins" and self.edges != sorted(self.edges):
            raise ValueError("bin edges must ascend")
        return self


class Indicator(Label):
    dimension: str
    formula: str
    window: str
    direction: Literal["higher_better", "lower_better"]
    unit: str
    normalisation: Normalisation
    params: dict[str, float] = Field(default_factory=dict)
    missing_score: float | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if not WINDOW.match(self.window):
            raise ValueError(f"unknown window {self.window!r}")
        n = self.normalisation
        if n.kind == "linear":
            rising = n.best > n.worst  # type: ignore[operator]
            if rising != (self.direction == "higher_better"):
                raise ValueError(f"{self.formula}: normalisation runs against its direction")
        return self


class SubjectModel(BaseModel):
    weights: dict[str, float]


class Lookback(BaseModel):
    volume_threshold: int
    short_months: int
    long_months: int


class IndicatorModel(BaseModel):
    version: str
    missing_score: float
    lookback: Lookback
    record_display_months: dict[str, int]
    dimensions: dict[str, Label]
    indicators: dict[str, Indicator]
    subject_types: dict[str, SubjectModel]

    @model_validator(mode="after")
    def _references(self) -> IndicatorModel:
        for name, ind in self.indicators.items():
            if ind.dimension not in self.dimensions:
                raise ValueError(f"indicator {name}: unknown dimension {ind.dimension}")
        for subject_type, model in self.subject_types.items():
            if unknown := set(model.weights) - set(self.indicators):
                raise ValueError(f"{subject_type}: unknown indicators {sorted(unknown)}")
            if sum(model.weights.values()) <= 0:
                raise ValueError(f"{subject_type}: weights must sum to more than 0")
        return self

    def used(self) -> list[str]:
        """Indicators some subject type weighs (weight 0 included: overrides read them)."""
        return [
            n for n in self.indicators if any(n in m.weights for m in self.subject_types.values())
        ]


class Band(Label):
    grade: str
    min_score: float | None


class Override(Label):
    name: str
    indicator: str
    above: float
    grade: str
    risk_class: str
    subject_types: list[str] | None = None
    """Where the override applies; None means every evaluated subject type."""


class Inspection(BaseModel):
    ratios: dict[str, float]
    inspectors_per_check: int


class GradePolicy(BaseModel):
    version: str
    scheme: str
    schemes: dict[str, list[Band]]
    risk_classes: list[Band]
    overrides: list[Override]
    inspection: Inspection

    @model_validator(mode="after")
    def _bands(self) -> GradePolicy:
        if self.scheme not in self.schemes:
            raise ValueError(f"unknown grade scheme {self.scheme}")
        for name, bands in [*self.schemes.items(), ("risk_classes", self.risk_classes)]:
            scored = [b.min_score for b in bands if b.min_score is not None]
            if scored != sorted(scored, reverse=True) or scored[-1:] != [0]:
                raise ValueError(f"{name}: bands must descend to a min_score of 0")
        for o in self.overrides:
            if o.grade != "worst" and o.grade not in {b.grade for b in self.grades}:
                raise ValueError(f"override {o.name}: unknown grade {o.grade}")
            if o.risk_class not in {b.grade for b in self.risk_classes}:
                raise ValueError(f"override {o.name}: unknown risk class {o.risk_class}")
        return self

    @property
    def grades(self) -> list[Band]:
        return self.schemes[self.scheme]


class Model(BaseModel):
    """Everything one evaluation depends on; its versions are stored with every result."""

    ratings: RatingPolicy
    indicators: IndicatorModel
    grades: GradePolicy

    @property
    def version(self) -> str:
        return self.indicators.version


def _load(path: Path) -> dict[str, object]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def load_model(
    indicators: Path | None = None, ratings: Path | None = None, grades: Path | None = None
) -> Model:
    return Model(
        ratings=RatingPolicy.model_validate(_load(ratings or policy_path("ratings.yaml"))),
        indicators=IndicatorModel.model_validate(
            _load(indicators or policy_path("indicators.yaml"))
        ),
        grades=GradePolicy.model_validate(_load(grades or policy_path("grades.yaml"))),
    )


def months_before(moment: datetime, months: int) -> datetime:
    """Same day `months` earlier, clamped to the month's end (31 Mar − 1 mo = 28/29 Feb)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    first_next = date(year + (month == 11), (month + 1) % 12 + 1, 1)
    last_day = (first_next - timedelta(days=1)).day
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))


def window_start(window: str, end: datetime, lookback_months: int | None = None) -> datetime | None:
    """Start of a window ending at `end`; None for all history. `lookback` needs its months."""
    match = WINDOW.match(window)
    if match is None or match.group(1) in ("all", "display"):
        return None
    if match.group(1) == "lookback":
        return months_before(end, lookback_months or 0)
    amount, unit = int(match.group(2)), match.group(3)
    return end - timedelta(days=amount) if unit == "d" else months_before(end, amount)
