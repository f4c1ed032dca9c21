"""Exchange policy: authority precedence and what leaves the node, from versioned YAML."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel

from ecredit.records.catalogue import policy_path
from ecredit.records.kinds import DataClass


class Authority(BaseModel):
    code: str
    zh: str
    en: str


class ExchangePolicy(BaseModel):
    version: str
    precedence: list[Authority]
    export_classes: list[DataClass]
    clock_skew_seconds: int

    @property
    def authorities(self) -> list[str]:
        return [a.code for a in self.precedence]

    def rank(self, authority: str | None) -> int:
        """0 is the highest authority; unknown authorities rank below every listed one."""
        codes = self.authorities
        return codes.index(authority) if authority in codes else len(codes)


@cache
def load_exchange_policy(path: Path | None = None) -> ExchangePolicy:
    path = path or policy_path("exchange.yaml")
    return ExchangePolicy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
