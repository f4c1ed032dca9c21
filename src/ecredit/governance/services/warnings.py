"""Risk warnings: raising alerts, delivering them, and public risk notices."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa

from ecredit.governance import warnings
from ecredit.governance.model import china_date
from ecredit.governance.peer_lists import PeerListing, is_black
from ecredit.governance.policy import load_policy
from ecredit.governance.ports import Notifier
from ecredit.governance.services.common import SYSTEM, WARNING, act, moment
from ecredit.storage import governance as store


def raise_alert(conn: sa.Connection, alert: warnings.Alert, at: datetime) -> bool:
    """Store an alert unless the same rule already fired for the same trigger."""
    event = warnings.raised(alert, at, SYSTEM)
    return store.open_case(
        conn, WARNING, alert.warning_id, alert.subject_id, event, kind=alert.rule
    )


def warn_of_peer_listings(
    conn: sa.Connection, listings: Iterable[PeerListing], at: datetime
) -> int:
    """Alert platforms and regulators here when a trusted peer's black-list entry in force
    arrives for a subject this node holds (imports call this with what they held); each
    peer's entry alerts once, however often it arrives again. Returns the alerts raised."""
    today = china_date(at)
    return sum(
        raise_alert(conn, warnings.peer_list_entry(listing), at)
        for listing in listings
        if is_black(listing) and listing.in_force(today)
    )


def list_warnings(
    engine: sa.Engine, subject_id: str | None = None, rule: str | None = None
) -> list[warnings.RiskWarning]:
    with engine.connect() as conn:
        cases = store.load_cases(conn, WARNING, subject_id=subject_id, kind=rule)
    return [warnings.replay(c) for c in cases]


def deliver_warnings(engine: sa.Engine, notifier: Notifier, now: datetime | None = None) -> int:
    """Send every undelivered alert to each audience; the stored warnings are the queue, and
    a delivery is recorded only after the notifier accepted it, so a failure is retried."""
    sent = 0
    for warning in list_warnings(engine):
        for audience in load_policy().warnings.audiences:
            if audience in warning.delivered_to:
                continue
            notifier.send(audience, warning.payload())
            event = warnings.delivered(warning, audience, moment(now), SYSTEM)
            with engine.begin() as conn:
                store.append(conn, WARNING, warning.warning_id, event)
            sent += 1
    return sent


def publish_notice(
    engine: sa.Engine, warning_id: str, actor: str, now: datetime | None = None
) -> warnings.RiskWarning:
    """Decide to show the warning to the public, from today for the configured period."""
    at = moment(now)
    with engine.begin() as conn:
        return act(
            conn,
            WARNING,
            warning_id,
            warnings.replay,
            lambda w: warnings.notice_published(w, china_date(at), at, actor),
        )


def withdraw_notice(
    engine: sa.Engine, warning_id: str, reason: str, actor: str, now: datetime | None = None
) -> warnings.RiskWarning:
    with engine.begin() as conn:
        return act(
            conn,
            WARNING,
            warning_id,
            warnings.replay,
            lambda w: warnings.notice_withdrawn(w, reason, moment(now), actor),
        )


def public_notices(engine: sa.Engine, today: date) -> list[warnings.RiskWarning]:
    return [w for w in list_warnings(engine) if w.notice_shown(today)]


class WebhookNotifier:
    """POSTs each alert as JSON to one URL per audience (platform, regulator)."""

    def __init__(self, urls: dict[str, str], timeout: float = 10.0) -> None:
        self.urls, self.timeout = urls, timeout

    def send(self, audience: str, alert: dict[str, object]) -> None:
        body = json.dumps({"audience": audience, **alert}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.urls[audience],
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()
