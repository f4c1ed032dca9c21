"""Every table ecredit stores, gathered on one metadata for migrations."""

from ecredit.storage.tables import metadata

__all__ = ["metadata"]
