"""The second node's database, shared with the exchange tests."""

from tests.exchange.conftest import second_db_url

__all__ = ["second_db_url"]
