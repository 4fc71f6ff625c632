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

On Redis the same script can also append one value to a list when the request is counted and the keys it reads along
still hold what the caller expects (a `Push`): the API hands out an answer its worker remembers that way, counted,
checked and audited in one round trip (signer/api.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from django.core.cache import cache

from signer import rediscache

# KEYS: current window, previous window, the list to push to, then any keys to read along. ARGV: limit, weight of the
# previous window, seconds to keep the counter, the value to push ('' for none), then the value expected under each
# key read along. Returns {allowed (0/1), current count, previous count, pushed (0/1), values read along...}: the
# value is pushed only if the request is counted and every key read along holds exactly its expected value.
_TAKE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local allowed = 0
if math.ceil(previous * tonumber(ARGV[2])) + current < tonumber(ARGV[1]) then
  allowed = 1
  current = redis.call('INCR', KEYS[1])
  if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
end
local answer = {allowed, current, previous, 0}
local push = allowed == 1 and ARGV[4] ~= ''
for i = 4, #KEYS do
  local value = redis.call('GET', KEYS[i])
  answer[#answer + 1] = value
  if value ~= ARGV[i + 1] then push = false end
end
if push then
  redis.call('RPUSH', KEYS[3], ARGV[4])
  answer[4] = 1
end
return answer
"""

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "10/min" -> (10, 60): DRF's spelling (the period's first letter: s, m, h or d)."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period[0]]


@dataclass(frozen=True)
class Push:
    """A value to append to the list `key` if the request is counted and every key read along still holds its value
    in `expect` (cache key -> value, compared as the cache stores them)."""

    key: str
    value: bytes
    expect: Mapping[str, object]


@dataclass(frozen=True)
class Count:
    """What the counter saw: whether one more fits, and the counts it decided on."""

    allowed: bool
    limit: int
    duration: int
    elapsed: float  # seconds into the current window
    current: int
    previous: int
    raw: dict[str, object] = field(default_factory=dict)  # the values read along, as Redis returned them
    pushed: bool = False  # whether the Push given to take() was made

    @property
    def read(self) -> dict[str, object]:
        """The values read along (key -> value, missing keys absent), decoded when asked for: an answer the
        worker remembers needs none of them."""
        return {name: rediscache.decode(value) for name, value in self.raw.items()}

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

    def take(self, *, read_along: Sequence[str] = (), push: Push | None = None) -> Count:
        """Count one if it fits (refusals are not counted, as in DRF).

        `read_along` names cache keys the caller is about to read anyway: on Redis they are read in the same round
        trip and returned in `Count.read` (key -> value, missing keys absent); elsewhere `read` is empty. `push`, on
        Redis only, is made in the same round trip if the request is counted and the keys read along hold what it
        expects (`Count.pushed`); it needs an expected value for every key read along."""
        if rediscache.is_redis():
            return self._take_on_redis(read_along, push)
        seen = self.peek()
        if not seen.allowed:
            return seen
        return replace(seen, current=self.add())

    def _take_on_redis(self, read_along: Sequence[str], push: Push | None) -> Count:
        if push is not None and not all(name in push.expect for name in read_along):
            push = None
        keys = [
            rediscache.key(name)
            for name in (self.current_key, self.previous_key, push.key if push else self.current_key, *read_along)
        ]
        args: list[object] = [self.limit, repr(self.weight), 2 * self.duration, push.value if push else ""]
        if push is not None:
            args += [rediscache.encode(push.expect[name]) for name in read_along]
        allowed, current, previous, pushed, *values = rediscache.run_script(_TAKE, keys=keys, args=args)
        raw = {name: value for name, value in zip(read_along, values, strict=True) if value is not None}
        return Count(
            bool(allowed), self.limit, self.duration, self.elapsed, int(current), int(previous), raw, bool(pushed)
        )

    def _count(self, current: int, previous: int) -> Count:
        allowed = math.ceil(previous * self.weight) + current < self.limit
        return Count(allowed, self.limit, self.duration, self.elapsed, current, previous)
