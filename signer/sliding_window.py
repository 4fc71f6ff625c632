"""A sliding-window counter on the shared cache: the API throttle's and the sign-in forms' count of attempts.

DRF's SimpleRateThrottle keeps every request's time in a list per client and reads and rewrites that list on every
request: two round trips to the cache and a payload that grows with the rate. This counter keeps two counters per
client, the current fixed window and the previous one, and estimates the requests of the last `duration` seconds as

    ceil(previous * (share of the previous window still inside the sliding window)) + current

(the approximation Cloudflare and others use; it assumes the previous window's requests were evenly spread; rounded
up, so a previous request counts until it has wholly slid out and a burst just before a boundary is not followed by
another just after it; Retry-After may then exceed one period, by up to a period / limit). A request fits while the
estimate is below the limit. Windows are numbered by our own clock, not the cache's expiry, so a window ends at the
same moment for every worker whatever clock Redis keeps. On Redis `take()` is one Lua script (atomic, one round
trip); on other caches it is plain cache calls (add + incr, atomic on every backend), exact within one process
(local memory) and approximate across processes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from django.core.cache import cache

from signer import rediscache

# KEYS: current window, previous window, then any keys to read along. ARGV: limit, weight of the previous window,
# seconds to keep the counter. Returns {allowed (0/1), current count, previous count, values read along...}.
_TAKE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local allowed = 0
if math.ceil(previous * tonumber(ARGV[2])) + current < tonumber(ARGV[1]) then
  allowed = 1
  current = redis.call('INCR', KEYS[1])
  if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
end
local answer = {allowed, current, previous}
for i = 3, #KEYS do answer[#answer + 1] = redis.call('GET', KEYS[i]) end
return answer
"""

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "10/min" -> (10, 60): DRF's spelling (the period's first letter: s, m, h or d)."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period[0]]


@dataclass(frozen=True)
class Count:
    """What the counter saw: whether one more fits, and the counts it decided on."""

    allowed: bool
    limit: int
    duration: int
    elapsed: float  # seconds into the current window
    current: int
    previous: int
    read: dict[str, object] = field(default_factory=dict)

    def wait(self) -> int:
        """Seconds until one more fits, if nothing else is counted (Retry-After)."""
        limit, duration, elapsed = self.limit, self.duration, self.elapsed
        current, previous = self.current, self.previous
        if current >= limit:
            # The next window, then until this window's requests weigh limit - 1.
            return max(1, math.ceil(duration - elapsed + duration * (1.0 - (limit - 1) / current)))
        if not previous:
            return 1
        # Room in this window: until the previous window's requests weigh limit - 1 - current.
        return max(1, math.ceil(duration * (1.0 - (limit - 1 - current) / previous) - elapsed))


class SlidingWindow:
    """The count under `key` (one client of one scope) for at most `limit` in `duration` seconds, as of `now`."""

    def __init__(self, key: str, limit: int, duration: int, *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        window = int(now // duration)
        self.limit = limit
        self.duration = duration
        self.elapsed = now - window * duration
        self.weight = 1.0 - self.elapsed / duration
        self.current_key = f"{key}:{window}"
        self.previous_key = f"{key}:{window - 1}"

    def peek(self) -> Count:
        """Whether one more fits, counting nothing."""
        counts = cache.get_many([self.current_key, self.previous_key])
        return self._count(int(counts.get(self.current_key, 0)), int(counts.get(self.previous_key, 0)))

    def add(self) -> int:
        """Count one, whether it fits or not; the current window's count."""
        cache.add(self.current_key, 0, 2 * self.duration)
        try:
            return int(cache.incr(self.current_key))
        except ValueError:  # expired between add and incr
            cache.set(self.current_key, 1, 2 * self.duration)
            return 1

    def take(self, *, read_along: Sequence[str] = ()) -> Count:
        """Count one if it fits (refusals are not counted, as in DRF).

        `read_along` names cache keys the caller is about to read anyway: on Redis they are read in the same round
        trip and returned in `Count.read` (key -> value, missing keys absent); elsewhere `read` is empty."""
        if rediscache.is_redis():
            return self._take_on_redis(read_along)
        seen = self.peek()
        if not seen.allowed:
            return seen
        return replace(seen, current=self.add())

    def _take_on_redis(self, read_along: Sequence[str]) -> Count:
        keys = [rediscache.key(name) for name in (self.current_key, self.previous_key, *read_along)]
        allowed, current, previous, *values = rediscache.run_script(
            _TAKE, keys=keys, args=[self.limit, repr(self.weight), 2 * self.duration]
        )
        read = {
            name: rediscache.decode(value) for name, value in zip(read_along, values, strict=True) if value is not None
        }
        return Count(bool(allowed), self.limit, self.duration, self.elapsed, int(current), int(previous), read)

    def _count(self, current: int, previous: int) -> Count:
        allowed = math.ceil(previous * self.weight) + current < self.limit
        return Count(allowed, self.limit, self.duration, self.elapsed, current, previous)
