"""What one localcloud instance is: where it keeps data, its root account, its roles and sub-accounts."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Well-known development keys of the root account, public on purpose (like Azurite's devstoreaccount1).
# The portal's settings document the same defaults (LOCALCLOUD_SECRET_ID / _KEY / _APPID).
DEFAULT_SECRET_ID = "AKIDLOCALCLOUDDEVELOPMENTKEY0000"  # noqa: S105 - documented development key
DEFAULT_SECRET_KEY = "localclouddevelopmentsecretkey00"  # noqa: S105 - documented development key
DEFAULT_APPID = "1250000000"
DEFAULT_UIN = "100000000001"


@dataclass
class Config:
    data_dir: Path
    secret_id: str = DEFAULT_SECRET_ID
    secret_key: str = DEFAULT_SECRET_KEY
    appid: str = DEFAULT_APPID
    uin: str = DEFAULT_UIN
    host: str = "127.0.0.1"
    port: int = 9100
    # Role name -> CAM policy (dict) for AssumeRole.
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Sub-accounts: SecretId -> (SecretKey, CAM policy dict). Their permanent keys are limited by that policy.
    subaccounts: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # Injected so tests can move time; everything in localcloud reads the clock through here.
    clock: Callable[[], float] = time.time

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        values: dict[str, Any] = {
            "data_dir": Path(os.environ.get("LOCALCLOUD_DATA", "var/localcloud")),
            "secret_id": os.environ.get("LOCALCLOUD_SECRET_ID", DEFAULT_SECRET_ID),
            "secret_key": os.environ.get("LOCALCLOUD_SECRET_KEY", DEFAULT_SECRET_KEY),
            "appid": os.environ.get("LOCALCLOUD_APPID", DEFAULT_APPID),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
