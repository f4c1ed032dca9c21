"""A small time-bounded cache for public answers that everyone asks for.

A shop page links to the same profile for every visitor, so the public profile is computed
once per subject and period and served as stored bytes until it is `seconds` old. The bound
is the only staleness: a new record or an ended display period shows within that time.
Accounts bypass the cache, so what an entitled caller reads is always current.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class TtlCache:
    def __init__(self, seconds: float, max_entries: int = 50_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
        return found[1] if found and found[0] > time.monotonic() else None

    def put(self, key: str, value: bytes) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + self.seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
