"""A rate throttle that costs one cache round trip: a sliding-window counter.

DRF's SimpleRateThrottle keeps every request's time in a list per client and reads and rewrites that list on every
request: two round trips to the cache and a payload that grows with the rate. This throttle keeps two counters per
client, the current fixed window and the previous one, and estimates the requests of the last `duration` seconds as

    ceil(previous * (share of the previous window still inside the sliding window)) + current

(the approximation Cloudflare and others use; it assumes the previous window's requests were evenly spread; rounded
up, so a previous request counts until it has wholly slid out and a burst just before a boundary is not followed by
another just after it; Retry-After may then exceed one period, by up to a period / limit). A
request is allowed while the estimate is below the limit and then counted; refused requests are not counted, as in
DRF. On Redis the check and the count are one Lua script (atomic, one round trip); on other caches they are plain
cache calls, exact within one process (local memory) and approximate across processes.
"""

from __future__ import annotations

import math

from django.core.cache import cache, caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

# KEYS: current window, previous window, then any keys to read along. ARGV: limit, weight of the previous window,
# seconds to keep the counter. Returns {allowed (0/1), current count, previous count, values read along...}.
_SCRIPT = """
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


def _is_redis() -> bool:
    return type(caches["default"]).__module__.startswith("django_redis.")


class SlidingWindowThrottle(SimpleRateThrottle):
    """Subclasses set `rate` (or `scope`) and `get_cache_key` as for DRF's SimpleRateThrottle.

    `read_along()` may name cache keys the view is about to read anyway: on Redis they are read in the same round
    trip and left in `self.read` (key -> value, missing keys absent), which spares the view a round trip."""

    cache_format = "throttle:%(scope)s:%(ident)s"
    read: dict[str, object]

    def read_along(self, request: Request, view: APIView) -> list[str]:
        return []

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.elapsed = self.now - window * self.duration
        weight = 1.0 - self.elapsed / self.duration
        current_key, previous_key = f"{self.key}:{window}", f"{self.key}:{window - 1}"
        self.read = {}
        if _is_redis():
            along = self.read_along(request, view)
            allowed, self.current, self.previous = self._redis_count(current_key, previous_key, weight, along)
        else:
            allowed, self.current, self.previous = self._cache_count(current_key, previous_key, weight)
        return bool(allowed)

    def _redis_count(
        self, current_key: str, previous_key: str, weight: float, along: list[str]
    ) -> tuple[int, int, int]:
        from django_redis import get_redis_connection

        client = get_redis_connection("default")
        script = getattr(client, "_signer_throttle", None)
        if script is None:  # one per client: EVALSHA, EVAL the first time (or after a SCRIPT FLUSH)
            script = client._signer_throttle = client.register_script(_SCRIPT)
        keys = [cache.make_key(key) for key in (current_key, previous_key, *along)]
        allowed, current, previous, *values = script(
            keys=keys, args=[self.num_requests, repr(weight), 2 * self.duration]
        )
        decode = caches["default"].client.decode  # django-redis' own (un)serializer for cache values
        self.read = {key: decode(value) for key, value in zip(along, values, strict=True) if value is not None}
        return int(allowed), int(current), int(previous)

    def _cache_count(self, current_key: str, previous_key: str, weight: float) -> tuple[int, int, int]:
        counts = cache.get_many([current_key, previous_key])
        current, previous = int(counts.get(current_key, 0)), int(counts.get(previous_key, 0))
        if not sliding_estimate(self.num_requests, weight, current, previous):
            return 0, current, previous
        cache.add(current_key, 0, 2 * self.duration)
        try:
            current = cache.incr(current_key)
        except ValueError:  # expired between add and incr
            cache.set(current_key, 1, 2 * self.duration)
            current = 1
        return 1, current, previous

    def wait(self) -> float | None:
        """Seconds until the estimate falls below the limit, if no other request comes (Retry-After)."""
        return sliding_wait(self.num_requests, self.duration, self.elapsed, self.current, self.previous)


def sliding_estimate(limit: int, weight: float, current: int, previous: int) -> bool:
    """Whether one more request fits: ceil(previous * weight) + current below the limit."""
    return math.ceil(previous * weight) + current < limit


def sliding_wait(limit: int, duration: float, elapsed: float, current: int, previous: int) -> int:
    """Seconds from `elapsed` into the current window until one more request fits, if no other comes."""
    if current >= limit:
        # The next window, then until this window's requests weigh limit - 1.
        return max(1, math.ceil(duration - elapsed + duration * (1.0 - (limit - 1) / current)))
    if not previous:
        return 1
    # Room in this window: until the previous window's requests weigh limit - 1 - current.
    return max(1, math.ceil(duration * (1.0 - (limit - 1 - current) / previous) - elapsed))
