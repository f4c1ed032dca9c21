"""Policy integrity and the governance migration."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError

from ecredit.governance.policy import GovernancePolicy, load_policy
from ecredit.records.catalogue import load_catalogue, policy_path
from ecredit.storage import governance as store


def test_catalogue_display_rules_resolve() -> None:
    policy = load_policy()
    assert {rt.display_rule for rt in load_catalogue().record_types} <= set(policy.display)
    assert policy.version


def test_every_rule_carries_its_source() -> None:
    policy = load_policy()
    sourced = [
        *policy.clocks.values(),
        *policy.objections.profiles.values(),
        *policy.display.values(),
        *policy.lists.values(),
        *policy.measures.values(),
        policy.repair,
        policy.commitments,
        policy.retention,
    ]
    assert all(item.source and item.confidence in ("V", "S", "R") for item in sourced)


def test_a_broken_policy_is_rejected() -> None:
    raw = yaml.safe_load(policy_path("governance.yaml").read_text(encoding="utf-8"))
    del raw["display"]["samr_penalty"]
    with pytest.raises(ValidationError, match="samr_penalty"):
        GovernancePolicy.model_validate(raw)
    raw = yaml.safe_load(policy_path("governance.yaml").read_text(encoding="utf-8"))
    raw["measures"]["shield_shop"]["lists"] = ["grey_list"]
    with pytest.raises(ValidationError, match="grey_list"):
        GovernancePolicy.model_validate(raw)


def test_migration_matches_the_tables(engine: sa.Engine) -> None:
    names = {t.name for t in store.GOVERNANCE_TABLES}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), store.metadata)

    def table_of(change: object) -> str | None:
        item = change[0] if isinstance(change, list) else change
        for part in item[1:]:
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if table is not None:
                return table.name
            if name in names:
                return name
        return item[2] if len(item) > 2 and item[2] in names else None

    assert [c for c in diff if table_of(c) in names] == []
