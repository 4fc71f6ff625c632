"""A per-second request quota, as Tencent Cloud APIs enforce it (e.g. STS: 600 GetFederationToken calls per second).

Exact over the last second: the times of the admitted calls are kept (at most `limit` of them), and a call is admitted
while fewer than `limit` were admitted in the second before it. Refused calls are not counted.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, limit: int, *, clock: Callable[[], float], period: float = 1.0) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._times: dict[str, deque[float]] = {}

    def admit(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            times = self._times.setdefault(key, deque())
            while times and times[0] <= now - self.period:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True
