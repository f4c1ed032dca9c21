"""The record catalogue (信用信息目录), loaded from versioned YAML policy data."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from ecredit.records.kinds import SEVERITIES, SOURCE_KINDS


class RecordClass(BaseModel):
    zh: str
    en: str


class RecordType(BaseModel):
    code: str
    zh: str
    en: str
    record_class: str = Field(alias="class")
    severity: str
    sources: list[str]
    display_rule: str


class Catalogue(BaseModel):
    version: str
    classes: dict[str, RecordClass]
    record_types: list[RecordType]

    def model_post_init(self, _context: object) -> None:
        for rt in self.record_types:
            if rt.record_class not in self.classes:
                raise ValueError(f"record type {rt.code}: unknown class {rt.record_class}")
            if rt.severity not in SEVERITIES:
                raise ValueError(f"record type {rt.code}: unknown severity {rt.severity}")
            if unknown := set(rt.sources) - set(SOURCE_KINDS):
                raise ValueError(f"record type {rt.code}: unknown sources {sorted(unknown)}")

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(rt.code for rt in self.record_types)

    def get(self, code: str) -> RecordType:
        return next(rt for rt in self.record_types if rt.code == code)


def policy_path(name: str) -> Path:
    return Path(str(resources.files("ecredit") / "policy" / name))


@cache
def load_catalogue(path: Path | None = None) -> Catalogue:
    path = path or policy_path("catalogue.yaml")
    return Catalogue.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
