"""Property tests for the parsers and identifier checks ingestion relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from ecredit.identity.checks import check_gtin, check_mobile, check_ric, check_uscc
from ecredit.ingest.validate import LINE, Context, check_chunk
from ecredit.records.kinds import KINDS
from tests.ingest.world import valid_gtin, valid_ric, valid_uscc

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CTX = Context(now=datetime(2026, 11, 1, tzinfo=UTC), catalogue_codes=frozenset({"PLT01"}))
BEIJING = ZoneInfo("Asia/Shanghai")

uscc_bodies = st.builds(
    lambda reg, org, rest: "9" + reg + "33010" + rest + org,
    st.sampled_from("123"),
    st.text(USCC_ALPHABET, min_size=1, max_size=1),
    st.text("0123456789", min_size=10, max_size=10),
)


@given(uscc_bodies)
def test_any_uscc_with_its_check_digit_is_accepted(body: str) -> None:
    assert check_uscc(valid_uscc(body[:17])) is None


@given(uscc_bodies, st.sampled_from(USCC_ALPHABET))
def test_a_wrong_uscc_check_digit_is_rejected(body: str, wrong: str) -> None:
    body = body[:17]
    if wrong != uscc.calc_check_digit(body):
        assert "校验位" in (check_uscc(body + wrong) or "")


@given(
    st.dates(min_value=datetime(1940, 1, 1).date(), max_value=datetime(2008, 1, 1).date()),
    st.integers(0, 999),
)
def test_citizen_ids_with_check_digit_pass_and_altered_ones_fail(birth: object, seq: int) -> None:
    number = valid_ric(f"110101{birth:%Y%m%d}{seq:03d}")
    assert check_ric(number) is None
    altered = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert check_ric(altered) is not None


@given(st.text("0123456789", min_size=12, max_size=12))
def test_gtin_check_digit(body: str) -> None:
    assert check_gtin(valid_gtin(body)) is None
    wrong = str((int(valid_gtin(body)[-1]) + 1) % 10)
    assert check_gtin(body + wrong) is not None


@given(st.text(min_size=0, max_size=14))
def test_mobile_check_never_crashes_and_accepts_only_11_digits(text: str) -> None:
    ok = check_mobile(text) is None
    assert ok == (
        len(text) == 11
        and text.isascii()
        and text.isdigit()
        and text[0] == "1"
        and text[1] in "3456789"
    )


def _rating_frame(rated_at: list[str | None]) -> pl.DataFrame:
    n = len(rated_at)
    return pl.DataFrame(
        {
            LINE: list(range(2, n + 2)),
            "rating_id": [f"R{i}" for i in range(n)],
            "order_id": ["O1"] * n,
            "direction": ["buyer_to_seller"] * n,
            "kind": ["initial"] * n,
            "score": ["1"] * n,
            "rated_at": rated_at,
        }
    ).with_columns(
        pl.lit(None, pl.String).alias(c)
        for c in KINDS["ratings"].columns
        if c not in ("rating_id", "order_id", "direction", "kind", "score", "rated_at")
    )


moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 10, 1))


@given(moments, st.sampled_from([" ", "T"]))
def test_naive_times_are_beijing_time_stored_as_utc(moment: datetime, sep: str) -> None:
    moment = moment.replace(microsecond=0)
    checked = check_chunk(KINDS["ratings"], _rating_frame([moment.isoformat(sep=sep)]), CTX)
    (stored,) = checked.accepted.get_column("rated_at").to_list()
    assert stored == moment.replace(tzinfo=BEIJING).astimezone(UTC)


@given(moments, st.integers(-12 * 60, 14 * 60))
def test_times_with_an_offset_keep_their_instant(moment: datetime, offset_minutes: int) -> None:
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    checked = check_chunk(KINDS["ratings"], _rating_frame([aware.isoformat()]), CTX)
    (stored,) = checked.accepted.get_column("rated_at").to_list()
    assert stored == aware.astimezone(UTC)


@given(st.text(max_size=25))
def test_arbitrary_text_is_either_a_time_or_a_located_reject(text: str) -> None:
    checked = check_chunk(KINDS["ratings"], _rating_frame([text]), CTX)
    assert checked.accepted.height + checked.rejects.get_column(LINE).n_unique() == 1
    if checked.rejects.height:
        assert set(checked.rejects.get_column(LINE)) == {2}
