"""Who may read personal information in clear, and for what: versioned YAML policy data."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel

from ecredit.records.catalogue import policy_path
from ecredit.records.kinds import DataClass


class Purpose(BaseModel):
    zh: str
    en: str
    consent_required: bool


class Role(BaseModel):
    zh: str
    en: str
    purposes: list[str]
    clear: list[DataClass]


class PrivacyPolicy(BaseModel):
    version: str
    purposes: dict[str, Purpose]
    roles: dict[str, Role]

    def model_post_init(self, _context: object) -> None:
        for name, role in self.roles.items():
            if unknown := set(role.purposes) - set(self.purposes):
                raise ValueError(f"role {name}: unknown purposes {sorted(unknown)}")


@cache
def load_privacy_policy(path: Path | None = None) -> PrivacyPolicy:
    path = path or policy_path("privacy.yaml")
    return PrivacyPolicy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
