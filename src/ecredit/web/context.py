"""What every request handler needs, built once by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from ecredit.privacy.keys import KeyRing
from ecredit.web.cache import TtlCache
from ecredit.web.capabilities import Capabilities
from ecredit.web.settings import WebSettings
from ecredit.web.signing import SigningKeys


@dataclass(frozen=True)
class WebContext:
    engine: sa.Engine
    keys: KeyRing
    signing: SigningKeys
    settings: WebSettings
    limiter: SlidingWindowCounterRateLimiter
    """Constant work per hit, whatever the limit (a moving window keeps every hit)."""
    public_limit: RateLimitItem
    capabilities: Capabilities
    public_profiles: TtlCache

    @classmethod
    def build(
        cls, engine: sa.Engine, keys: KeyRing, signing: SigningKeys, settings: WebSettings
    ) -> WebContext:
        limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        return cls(
            engine,
            keys,
            signing,
            settings,
            limiter,
            parse(settings.public_rate_limit),
            Capabilities(engine),
            TtlCache(settings.profile_cache_seconds),
        )


async def web_context(request: Request) -> WebContext:
    return request.app.state.ctx
