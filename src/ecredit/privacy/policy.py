"""Who may read personal information in clear, and for what: versioned YAML policy data."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel

from ecredit.records.catalogue import policy_path
from ecredit.records.kinds import DataClass

OWN_TRANSACTION = "own_transaction"
OWN_MERCHANTS = "own_merchants"


class Purpose(BaseModel):
    """`scope` names a check `privacy.access.authorise` makes before granting the purpose
    (`own_transaction`: the reader is party to the transaction read; `own_merchants`: the
    subject sells on the reader's platform), because a purpose that needs no consent must be
    bounded by something else; `clear`, when set, caps the data
    classes the role may read in clear when it states this purpose."""

    zh: str
    en: str
    consent_required: bool
    scope: Literal["own_transaction", "own_merchants"] | None = None
    clear: list[DataClass] | None = None


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
