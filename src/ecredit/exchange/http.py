"""Node-to-node sync over HTTP: a small Starlette/FastAPI app and signed requests.

Requests are authenticated with the same Ed25519 keys that sign batches: the caller signs
method, target, time and body hash, and the server accepts only registered peers within the
allowed clock skew, so no shared secret has to be handed around. A replayed request within
that window can only fetch or re-send a batch, which imports idempotently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ecredit.audit.log import Actor, iso
from ecredit.exchange.apply import import_batch
from ecredit.exchange.batch import FORMAT, VERSION, BatchRejected
from ecredit.exchange.export import export_batch
from ecredit.exchange.node import NodeIdentity, signature_valid
from ecredit.exchange.objects import Cursor, parse_time
from ecredit.exchange.peers import Peer, get_peer
from ecredit.exchange.policy import ExchangePolicy

NODE_PATH = "/exchange/v1/node"
BATCHES_PATH = "/exchange/v1/batches"
NODE_HEADER, DATE_HEADER, SIGNATURE_HEADER = "x-ecredit-node", "x-ecredit-date", "x-ecredit-sig"
MAX_BATCH_BYTES = 1 << 30


class Refused(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title = status, title


def request_message(method: str, target: str, date: str, body: bytes) -> bytes:
    return "\n".join((method.upper(), target, date, hashlib.sha256(body).hexdigest())).encode()


def signed_headers(identity: NodeIdentity, method: str, target: str, body: bytes) -> dict[str, str]:
    date = iso(datetime.now(UTC))
    return {
        NODE_HEADER: identity.node_id,
        DATE_HEADER: date,
        SIGNATURE_HEADER: identity.sign(request_message(method, target, date, body)),
    }


def authenticate(
    conn: sa.Connection,
    policy: ExchangePolicy,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Peer:
    title = "未通过身份验证 / not authenticated"
    node, date, signature = (headers.get(h) for h in (NODE_HEADER, DATE_HEADER, SIGNATURE_HEADER))
    if not (node and date and signature):
        raise Refused(401, title, "缺少签名请求头 / signed request headers are missing")
    peer = get_peer(conn, node)
    if peer is None:
        raise Refused(403, title, f"{node} 不是受信任节点 / {node} is not a trusted peer")
    try:
        skew = abs((datetime.now(UTC) - parse_time(date)).total_seconds())
    except ValueError:
        skew = float("inf")
    if skew > policy.clock_skew_seconds:
        raise Refused(401, title, "请求时间超出允许范围 / request time outside the allowed skew")
    if not signature_valid(peer.public_key, request_message(method, target, date, body), signature):
        raise Refused(401, title, "请求签名无效 / request signature is invalid")
    return peer


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    """RFC 9457 problem details, Chinese first like every user-facing message."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def create_app(engine: sa.Engine, identity: NodeIdentity, policy: ExchangePolicy) -> FastAPI:
    app = FastAPI(title=f"ecredit 信用信息共享交换节点 / exchange node {identity.node_id}")

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> JSONResponse:
        return _problem(exc.status, exc.title, str(exc))

    async def peer_of(request: Request, body: bytes) -> Peer:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")

        def check() -> Peer:
            with engine.connect() as conn:
                return authenticate(conn, policy, request.method, target, request.headers, body)

        return await run_in_threadpool(check)

    @app.get(NODE_PATH)
    async def node() -> dict[str, Any]:
        """本节点 / this node: id, authority, public key and exchange format."""
        return {
            "node_id": identity.node_id,
            "authority": identity.authority,
            "public_key": identity.public_key,
            "format": f"{FORMAT}/{VERSION}",
        }

    @app.get(BATCHES_PATH, responses={204: {"description": "无新数据 / nothing new"}})
    async def pull(request: Request, since: str | None = None) -> Response:
        """拉取批次 / a signed batch of everything since the caller's cursor."""
        peer = await peer_of(request, b"")
        try:
            cursor = Cursor.parse(since) if since else None
        except ValueError as exc:
            raise Refused(400, "游标错误 / bad cursor", str(exc)) from exc
        actor = Actor(f"node:{peer.node_id}", "node")
        exported = await run_in_threadpool(
            export_batch, engine, identity, policy, cursor, peer.node_id, actor
        )
        if exported is None:
            return Response(status_code=204)
        return Response(exported[0], media_type="application/json")

    @app.post(BATCHES_PATH)
    async def push(request: Request) -> dict[str, Any]:
        """推送批次 / import a batch the calling node signed."""
        if int(request.headers.get("content-length") or 0) > MAX_BATCH_BYTES:
            raise Refused(413, "批次过大 / batch too large", f"limit {MAX_BATCH_BYTES} bytes")
        body = await request.body()
        peer = await peer_of(request, body)
        actor = Actor(f"node:{peer.node_id}", "node")
        try:
            report = await run_in_threadpool(
                import_batch, engine, body, identity, policy, actor, peer.node_id
            )
        except BatchRejected as exc:
            raise Refused(422, "批次被拒收 / batch rejected", str(exc)) from exc
        return report.summary()

    return app
