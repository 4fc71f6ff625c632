"""Request counters, read by tests and benchmarks through /_localcloud/stats."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    """Thread-safe counters: STS calls per action, COS requests per operation, bytes received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
