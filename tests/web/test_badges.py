"""Shop badges: issued by platforms for their shops; forged, altered, expired and revoked
badges are shown as such, on the verify page and in the SVG itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecredit.storage.web import badge
from ecredit.web.signing import b64url, canonical_json, unb64url
from tests.web.conftest import Web


def issue(web: Web, shop: str = "S1", role: str = "platform") -> dict:
    response = web.client.post("/api/v1/badges", json={"shop_id": shop}, headers=web.as_role(role))
    assert response.status_code == 201, response.text
    return response.json()


def status(web: Web, token: str) -> str:
    return web.client.get("/api/v1/badges/verification", params={"token": token}).json()["status"]


def retoken(token: str, change: dict, signer: Ed25519PrivateKey | None = None) -> str:
    body, _, signature = token.partition(".")
    claims = {**json.loads(unb64url(body)), **change}
    if signer is not None:
        signed = {k: v for k, v in claims.items() if k != "kid"}
        signature = b64url(signer.sign(canonical_json(signed)))
    return f"{b64url(canonical_json(claims))}.{signature}"


def test_valid_badge(web: Web) -> None:
    issued = issue(web)
    assert issued["svg_url"].endswith(".svg") and issued["token"] in issued["embed_html"]
    assert status(web, issued["token"]) == "valid"
    svg = web.client.get(f"/badge/{issued['token']}.svg")
    assert svg.headers["content-type"] == "image/svg+xml" and "#1a7f37" in svg.text
    page = web.client.get(f"/badge/{issued['token']}")
    assert 'data-status="valid"' in page.text and "杭州某某贸易有限公司" in page.text


def test_altered_badge(web: Web) -> None:
    token = issue(web)["token"]
    altered = retoken(token, {"grade": "A", "name": "别家公司"})
    assert status(web, altered) == "altered"
    assert "#cf222e" in web.client.get(f"/badge/{altered}.svg").text
    assert 'data-status="altered"' in web.client.get(f"/badge/{altered}").text


def test_forged_badge(web: Web) -> None:
    token = issue(web)["token"]
    forged = retoken(token, {"bid": "BGFAKE000000", "grade": "A"}, Ed25519PrivateKey.generate())
    assert status(web, forged) == "forged"
    assert status(web, "not-a-token") == "forged"
    page = web.client.get(f"/badge/{forged}")
    assert 'data-status="forged"' in page.text and "伪造标识" in page.text


def test_revoked_badge_and_edited_expiry(web: Web) -> None:
    token = issue(web)["token"]
    body = json.loads(unb64url(token.partition(".")[0]))
    with web.engine.begin() as conn:
        conn.execute(
            badge.update()
            .where(badge.c.badge_id == body["bid"])
            .values(revoked_at=datetime.now(UTC))
        )
    assert status(web, token) == "revoked"
    expired = retoken(token, {"exp": 1})
    assert status(web, expired) == "altered"


def test_badge_expiry_is_checked(web: Web, monkeypatch) -> None:
    token = issue(web)["token"]
    exp = json.loads(unb64url(token.partition(".")[0]))["exp"]

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(exp + 60, tz)

    monkeypatch.setattr("ecredit.web.badges.datetime", Later)
    assert status(web, token) == "expired"
    assert "标识已过期" in web.client.get(f"/badge/{token}.svg").text
