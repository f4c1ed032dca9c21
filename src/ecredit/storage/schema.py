"""Every table ecredit stores, gathered on one metadata for migrations and tests."""

import ecredit.storage.detection
import ecredit.storage.evaluations
import ecredit.storage.exchange
import ecredit.storage.governance
import ecredit.storage.web  # noqa: F401
from ecredit.storage.tables import metadata

__all__ = ["metadata"]
