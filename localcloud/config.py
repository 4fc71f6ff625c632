"""What one localcloud instance is: where it keeps data, its root account, its roles and sub-accounts."""

from __future__ import annotations

import json
import os
import re
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
# Roles and sub-accounts kept with the data, read at start when no other roles file is named.
ROLES_FILE_NAME = "roles.json"
DEFAULT_STS_RATE = 600
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)


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
    # GetFederationToken + AssumeRole calls admitted per second for the account, as STS's quota (600/s).
    sts_rate: int = DEFAULT_STS_RATE
    # A test option real STS does not have: when set, issued credentials live at most this many seconds whatever
    # DurationSeconds asked (clamped, not refused), so a portal asking for 1800 s can be seen handling expiry.
    sts_duration_cap: int | None = None
    # Injected so tests can move time; everything in localcloud reads the clock through here.
    clock: Callable[[], float] = time.time

    @classmethod
    def from_env(cls, roles_file: str | Path | None = None, **overrides: Any) -> Config:
        """LOCALCLOUD_* variables, then the defaults; `overrides` that are not None win (CLI flags).

        The roles file (`roles_file`, else LOCALCLOUD_ROLES_FILE, else `<data_dir>/roles.json` when it exists, e.g.
        written by a bootstrap tool; format in `load_roles_file`) defines roles and sub-accounts; `roles` /
        `subaccounts` overrides are added on top of it.
        """
        values: dict[str, Any] = {
            "data_dir": os.environ.get("LOCALCLOUD_DATA") or "var/localcloud",
            "secret_id": os.environ.get("LOCALCLOUD_SECRET_ID") or DEFAULT_SECRET_ID,
            "secret_key": os.environ.get("LOCALCLOUD_SECRET_KEY") or DEFAULT_SECRET_KEY,
            "appid": os.environ.get("LOCALCLOUD_APPID") or DEFAULT_APPID,
            "uin": os.environ.get("LOCALCLOUD_UIN") or DEFAULT_UIN,
            "host": os.environ.get("LOCALCLOUD_HOST") or "127.0.0.1",
            "port": _env_int("LOCALCLOUD_PORT", 9100),
            "sts_rate": _env_int("LOCALCLOUD_STS_RATE", DEFAULT_STS_RATE),
            "sts_duration_cap": _env_int("LOCALCLOUD_STS_DURATION_CAP", 0) or None,
            "roles": {},
            "subaccounts": {},
        }
        roles_file = roles_file or os.environ.get("LOCALCLOUD_ROLES_FILE")
        remembered = Path(overrides.get("data_dir") or values["data_dir"]) / ROLES_FILE_NAME
        if not roles_file and remembered.exists():
            roles_file = remembered
        if roles_file:
            values["roles"], values["subaccounts"] = load_roles_file(Path(roles_file))
        for name in ("roles", "subaccounts"):
            values[name] = {**values[name], **(overrides.pop(name, None) or {})}
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["data_dir"] = Path(values["data_dir"])
        values["port"] = int(values["port"])
        if int(values["sts_rate"]) < 1:
            raise ConfigError(f"LOCALCLOUD_STS_RATE must be at least 1, not {values['sts_rate']}")
        return cls(**values)

    def role_arn(self, name: str) -> str:
        return f"qcs::cam::uin/{self.uin}:roleName/{name}"


class ConfigError(ValueError):
    """A role, sub-account or roles file that cannot be used; the message says which and why."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None


def _checked_policy(document: Any, where: str) -> dict[str, Any]:
    from qcloud.policy import PolicyError, parse_policy

    if not isinstance(document, dict):
        raise ConfigError(f"{where}: a CAM policy must be a JSON object")
    try:
        parse_policy(document)
    except PolicyError as error:
        raise ConfigError(f"{where}: {error}") from None
    return document


def load_policy_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read policy file {path}: {error.strerror}") from None
    except ValueError as error:
        raise ConfigError(f"{path} is not valid JSON: {error}") from None
    return _checked_policy(document, str(path))


def parse_role_option(value: str) -> tuple[str, dict[str, Any]]:
    """`NAME=path/to/policy.json` (the --role flag) -> (name, policy)."""
    name, sep, path = value.partition("=")
    if not sep or not path or not ROLE_NAME.fullmatch(name):
        raise ConfigError(f"--role {value!r}: expected NAME=path/to/policy.json with NAME of [A-Za-z0-9+=,.@_-]")
    return name, load_policy_file(Path(path))


def parse_subaccount_option(value: str) -> tuple[str, tuple[str, dict[str, Any]]]:
    """`SECRETID:SECRETKEY=path/to/policy.json` (the --subaccount flag) -> (secret id, (secret key, policy)).

    The policy path is what follows the last `=`, so secret keys may contain `=` (but a path may not).
    """
    keys, sep, path = value.rpartition("=")
    secret_id, colon, secret_key = keys.partition(":")
    if not sep or not colon or not secret_id or not secret_key or not path:
        raise ConfigError("--subaccount: expected SECRETID:SECRETKEY=path/to/policy.json")
    return secret_id, (secret_key, load_policy_file(Path(path)))


def load_roles_file(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[str, dict[str, Any]]]]:
    """A JSON roles file -> (roles, sub-accounts).

    Either `{"roles": {NAME: policy}, "subaccounts": {SECRETID: {"secret_key": KEY, "policy": policy}}}`
    or, for roles only, `{NAME: policy, ...}`.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read roles file {path}: {error.strerror}") from None
    except ValueError as error:
        raise ConfigError(f"roles file {path} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"roles file {path}: expected a JSON object")
    structured = "roles" in document or "subaccounts" in document
    raw_roles = document.get("roles", {}) if structured else document
    raw_subaccounts = document.get("subaccounts", {}) if structured else {}
    if not isinstance(raw_roles, dict) or not isinstance(raw_subaccounts, dict):
        raise ConfigError(f"roles file {path}: 'roles' and 'subaccounts' must be JSON objects")
    roles: dict[str, dict[str, Any]] = {}
    for name, policy in raw_roles.items():
        if not ROLE_NAME.fullmatch(name):
            raise ConfigError(f"roles file {path}: role name {name!r} must be of [A-Za-z0-9+=,.@_-]")
        roles[name] = _checked_policy(policy, f"roles file {path}, role {name!r}")
    subaccounts: dict[str, tuple[str, dict[str, Any]]] = {}
    for secret_id, entry in raw_subaccounts.items():
        where = f"roles file {path}, sub-account {secret_id!r}"
        if not isinstance(entry, dict) or not isinstance(entry.get("secret_key"), str) or not entry["secret_key"]:
            raise ConfigError(f'{where}: expected {{"secret_key": "...", "policy": {{...}}}}')
        subaccounts[secret_id] = (entry["secret_key"], _checked_policy(entry.get("policy"), where))
    return roles, subaccounts
