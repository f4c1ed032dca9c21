"""Which optional capabilities this database holds.

The portal and API show evaluation, governance and detection results as those capabilities
land; each one is recognised by its tables. A table that exists stays known; an absent one is
looked for again after a short pause, so running `ecredit evaluate` next to a live server
makes grades appear without a restart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sqlalchemy as sa

RECHECK_SECONDS = 10.0

CAPABILITY_TABLES: dict[str, str] = {
    "evaluation": "evaluation_result",
    "governance": "governance_case",
}
"""Capability → the table whose presence means it is installed."""


@dataclass
class Capabilities:
    engine: sa.Engine
    _present: set[str] = field(default_factory=set)
    _absent_until: dict[str, float] = field(default_factory=dict)

    def has_table(self, table: str) -> bool:
        if table in self._present:
            return True
        if self._absent_until.get(table, 0.0) > time.monotonic():
            return False
        if sa.inspect(self.engine).has_table(table):
            self._present.add(table)
            return True
        self._absent_until[table] = time.monotonic() + RECHECK_SECONDS
        return False

    def has(self, capability: str) -> bool:
        return self.has_table(CAPABILITY_TABLES[capability])

    def refresh(self) -> None:
        """Look for absent tables again at the next question (after a migration, say)."""
        self._absent_until.clear()

    def snapshot(self) -> dict[str, bool]:
        return {name: self.has(name) for name in CAPABILITY_TABLES}
