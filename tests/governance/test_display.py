"""Display periods and repair eligibility; public views against the archive."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from ecredit.governance import services
from ecredit.governance.display import (
    display_window,
    is_publicly_shown,
    is_shareable,
    repair_eligible_from,
)
from ecredit.governance.model import RecordStatus
from ecredit.records.catalogue import load_catalogue
from ecredit.records.kinds import RECORD_STATUSES, SEVERITIES
from ecredit.storage import governance as store
from tests.governance.conftest import MERCHANT, add_record, at
from tests.governance.records import record

D = date(2025, 1, 10)


def test_serious_shown_one_to_three_years_from_the_decision() -> None:
    r = record("PLT01", D)
    assert display_window(r).ends_on == date(2028, 1, 10)
    assert repair_eligible_from(r) == date(2026, 1, 10)
    assert is_publicly_shown(r, D) and is_publicly_shown(r, date(2028, 1, 9))
    assert not is_publicly_shown(r, date(2028, 1, 10))
    assert not is_publicly_shown(r, D - timedelta(days=1))


def test_general_shown_three_months_to_a_year() -> None:
    r = record("PLT02", D)
    assert (repair_eligible_from(r), display_window(r).ends_on) == (
        date(2025, 4, 10),
        date(2026, 1, 10),
    )


def test_minor_not_public_but_shared_for_three_months_and_repairable_at_once() -> None:
    r = record("PLT05", D)
    assert not is_publicly_shown(r, D)
    assert is_shareable(r, date(2025, 4, 9)) and not is_shareable(r, date(2025, 4, 10))
    assert repair_eligible_from(r) == D


def test_severity_of_the_record_overrides_the_type_default() -> None:
    assert display_window(record("PLT01", D, severity="general")).ends_on == date(2026, 1, 10)


def test_samr_penalty_profile() -> None:
    assert display_window(record("PEN01", D)).ends_on == date(2025, 4, 10)  # circulated criticism
    small = record("PEN02", D, amount=Decimal("5000"))
    large = record("PEN02", D, amount=Decimal("50000"))
    assert display_window(small).ends_on == date(2025, 4, 10)
    assert display_window(large).ends_on == date(2028, 1, 10)
    assert display_window(record("PEN04", D)).ends_on == date(2028, 1, 10)
    assert repair_eligible_from(large) == date(2025, 7, 10)  # 6 months [S]
    assert repair_eligible_from(small) == date(2025, 4, 10)


def test_while_valid_and_permanent_have_no_end_and_no_repair() -> None:
    for code in ("LIC01", "BAS01", "CMT01"):
        r = record(code, D)
        assert display_window(r).ends_on is None and repair_eligible_from(r) is None
        assert is_publicly_shown(r, date(2040, 1, 1))
    assert not is_publicly_shown(record("LIC01", D, status=RecordStatus.EXPIRED), D)


def test_repaired_corrected_withdrawn_expired_are_not_shown_disputed_is() -> None:
    for status in ("repaired", "corrected", "withdrawn", "expired"):
        assert not is_publicly_shown(record("PLT01", D, status=status), D)
    assert is_publicly_shown(record("PLT01", D, status="disputed"), D)


CODES = sorted(load_catalogue().codes)


@given(
    code=st.sampled_from(CODES),
    severity=st.sampled_from(SEVERITIES),
    status=st.sampled_from(RECORD_STATUSES),
    decided=st.dates(date(2015, 1, 1), date(2030, 1, 1)),
    offset=st.integers(-400, 4000),
    amount=st.none() | st.decimals(0, 10**6, places=2),
)
def test_never_shown_past_the_period_or_after_repair(
    code: str, severity: str, status: str, decided: date, offset: int, amount: Decimal | None
) -> None:
    r = record(code, decided, severity=severity, status=status, amount=amount)
    today = decided + timedelta(days=offset)
    window = display_window(r)
    if is_publicly_shown(r, today):
        assert status in ("active", "disputed")
        assert decided <= today and (window.ends_on is None or today < window.ends_on)
    if status == "repaired" or (window.ends_on is not None and today >= window.ends_on):
        assert not is_publicly_shown(r, today) and not is_shareable(r, today)


def test_public_view_drops_expired_and_repaired_records_the_archive_keeps_them(
    world: sa.Engine,
) -> None:
    add_record(world, "R-GEN", "PLT02", date(2025, 1, 1))  # general: shown until 2026-01-01
    add_record(world, "R-SER", "PLT01", date(2025, 1, 1))  # serious: repaired below
    add_record(world, "R-MIN", "PLT05", date(2025, 1, 1))  # minor: never public

    def shown(day: date) -> set[str]:
        return {p.record_id for p in services.public_records(world, MERCHANT, day)}

    assert shown(date(2025, 12, 31)) == {"R-GEN", "R-SER"}
    assert shown(date(2026, 1, 1)) == {"R-SER"}
    with world.begin() as conn:
        store.set_record_status(conn, "R-SER", "repaired", at(date(2026, 1, 5)), "t", "test")
    assert shown(date(2026, 1, 6)) == set()
    assert {r.record_id for r in services.archive(world, MERCHANT)} == {"R-GEN", "R-SER", "R-MIN"}

    _, expired = services.close_expired(world, at(date(2026, 1, 6)))
    assert expired == 2  # R-GEN and R-MIN passed their periods; R-SER is already repaired
    statuses = {r.record_id: r.status for r in services.archive(world, MERCHANT)}
    assert statuses == {"R-GEN": "expired", "R-SER": "repaired", "R-MIN": "expired"}
    labels = [item.label for item in services.history(world, MERCHANT)]
    assert sum(label.startswith("记录状态：已过公示期") for label in labels) == 2
