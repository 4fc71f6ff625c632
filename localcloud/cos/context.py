"""What a COS handler may use of the emulator: no more than this, so handlers never reach into the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from localcloud.config import Config
from localcloud.cos.storage import Storage
from localcloud.credentials import CredentialStore
from localcloud.stats import Stats


@dataclass(frozen=True)
class Context:
    config: Config
    credentials: CredentialStore
    stats: Stats
    clock: Callable[[], float]
    storage: Storage
