"""`python -m localcloud`: serve the emulator in the foreground until SIGINT or SIGTERM.

`python manage.py localcloud` uses the same flags (`add_arguments`) with the portal's settings as defaults.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any, TextIO

from localcloud.config import Config, ConfigError, parse_role_option, parse_subaccount_option
from localcloud.server import RunningServer, start_in_thread

DESCRIPTION = """\
localcloud: an offline emulator of Tencent Cloud STS (API 3.0) and the COS XML API, for development and tests.
The official SDKs work against it with only an endpoint change; it verifies their signatures and enforces CAM
policies. Its root keys are well-known development keys: never reuse them anywhere else."""

EPILOG = """\
Every flag defaults to its environment variable, then to the documented default:
  --host LOCALCLOUD_HOST (127.0.0.1)          --port LOCALCLOUD_PORT (9100)
  --data LOCALCLOUD_DATA (var/localcloud)     --appid LOCALCLOUD_APPID (1250000000)
  --secret-id / --secret-key LOCALCLOUD_SECRET_ID / LOCALCLOUD_SECRET_KEY (the development root keys)
  --uin LOCALCLOUD_UIN (100000000001)         --roles-file LOCALCLOUD_ROLES_FILE
  LOCALCLOUD_STS_RATE (600): GetFederationToken + AssumeRole calls per second before RequestLimitExceeded
  LOCALCLOUD_STS_DURATION_CAP (unset): for tests, issued credentials live at most this many seconds

Roles (for AssumeRole) and sub-accounts (permanent keys limited by a CAM policy):
  --role uploader=policies/uploader.json
      defines qcs::cam::uin/<uin>:roleName/uploader; credentials from AssumeRole may do what this policy
      allows, intersected with the caller's session policy.
  --subaccount AKIDPORTAL:portalsecret=policies/portal.json
      a key pair whose requests (STS and COS) must be allowed by the policy, e.g. only
      {"effect": "allow", "action": ["name/sts:AssumeRole"], "resource": ["qcs::cam::uin/<uin>:roleName/uploader"]}.
      The policy path is what follows the last '='.
  --roles-file roles.json
      {"roles": {"uploader": {<policy>}},
       "subaccounts": {"AKIDPORTAL": {"secret_key": "portalsecret", "policy": {<policy>}}}}
      or just {"uploader": {<policy>}, ...}. Without --roles-file or LOCALCLOUD_ROLES_FILE, <data>/roles.json is
      read when it exists. Flags add to (and override) what the file defines. These roles are trusted by the
      account's principals (qcs::cam::uin/<uin>:root).
  CAM (API 3.0, version 2019-01-16, the root key only): CreateRole, AddUser, CreateAccessKey, CreatePolicy,
      AttachRolePolicy, AttachUserPolicy, ... as tencentcloud-sdk-python-cam calls them; kept in <data> and
      used at once, no restart.

Point the SDKs at it:
  STS: HttpProfile(endpoint="127.0.0.1:9100", protocol="http")
  COS (browser, cos-js-sdk-v5): Domain "http://{Bucket}.cos.{Region}.localhost:9100" (Chromium and Firefox
      resolve *.localhost themselves; the signed host binds bucket and region)
  COS (server side, where *.localhost does not resolve): IP/Port 127.0.0.1:9100 with the SDK's virtual-host Host
      header. Path style, /cos/<region>/<bucket>/<key>, is accepted only when the request signs its bucket's
      virtual host <bucket>.cos.<region>.localhost as host.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags, shared by `python -m localcloud` and `manage.py localcloud`. Unset flags stay None."""
    parser.add_argument("--host", help="address to bind (default 127.0.0.1; anything else exposes the root keys)")
    parser.add_argument("--port", type=int, help="port to listen on, 0 for any free port (default 9100)")
    parser.add_argument("--data", metavar="DIR", help="where objects and metadata live (default var/localcloud)")
    parser.add_argument("--secret-id", metavar="ID", help="the root account's SecretId")
    parser.add_argument("--secret-key", metavar="KEY", help="the root account's SecretKey")
    parser.add_argument("--appid", help="the account's APPID, the suffix of every bucket name (default 1250000000)")
    parser.add_argument("--uin", help="the account's UIN, part of role ARNs (default 100000000001)")
    parser.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="NAME=POLICY.json",
        help="define a role for AssumeRole (repeatable)",
    )
    parser.add_argument(
        "--subaccount",
        action="append",
        default=[],
        metavar="SECRETID:SECRETKEY=POLICY.json",
        help="define a sub-account key limited by a CAM policy (repeatable)",
    )
    parser.add_argument("--roles-file", metavar="FILE", help="JSON file of roles and sub-accounts")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def config_from_options(options: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> Config:
    """Flags win, then `defaults` (the portal's settings for manage.py), then LOCALCLOUD_* variables, then defaults."""
    values: dict[str, Any] = {key: value for key, value in (defaults or {}).items() if value is not None}
    for flag, field in (
        ("host", "host"),
        ("port", "port"),
        ("data", "data_dir"),
        ("secret_id", "secret_id"),
        ("secret_key", "secret_key"),
        ("appid", "appid"),
        ("uin", "uin"),
    ):
        if options.get(flag) is not None:
            values[field] = options[flag]
    settings_roles_file = values.pop("roles_file", None)
    roles_file = options.get("roles_file") or settings_roles_file
    roles = dict(parse_role_option(value) for value in options.get("role") or ())
    subaccounts = dict(parse_subaccount_option(value) for value in options.get("subaccount") or ())
    config = Config.from_env(roles_file=roles_file, **values, roles=roles, subaccounts=subaccounts)
    if config.secret_id in config.subaccounts:
        raise ConfigError(f"sub-account {config.secret_id} has the root account's SecretId")
    return config


def banner(config: Config, server: RunningServer) -> str:
    base = server.url
    lines = [
        "localcloud: offline Tencent Cloud STS + COS (development keys, well-known on purpose)",
        f"  data         {config.data_dir}",
        f'  STS          {base}/   HttpProfile(endpoint="{server.host}:{server.port}", protocol="http")',
        f"  COS          http://{{Bucket}}.cos.{{Region}}.localhost:{server.port}   (browsers: cos-js-sdk-v5 Domain)",
        f"               IP/Port {server.host}:{server.port}, Host <bucket>-{config.appid}.cos.<region>.myqcloud.com "
        "(server-side SDKs)",
        f"  stats        {base}/_localcloud/stats",
        f"  SecretId     {config.secret_id}",
        f"  SecretKey    {config.secret_key}",
        f"  APPID        {config.appid}",
        f"  UIN          {config.uin}",
    ]
    lines += [f"  role         {config.role_arn(name)}" for name in sorted(config.roles)]
    lines += [f"  sub-account  {secret_id}" for secret_id in sorted(config.subaccounts)]
    if server.host not in ("127.0.0.1", "localhost", "::1"):
        lines.append(f"  WARNING: bound to {server.host}: anyone who can reach it can use the development keys.")
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines)


def _say(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()


def run(config: Config, *, out: TextIO = sys.stdout) -> int:
    """Serve until SIGINT or SIGTERM, then close the listening socket and return 0."""
    server = start_in_thread(config, host=config.host, port=config.port)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _say(out, banner(config, server))
        stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
    _say(out, "localcloud stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        config = config_from_options(vars(options))
    except ConfigError as error:
        parser.error(str(error))
    try:
        return run(config)
    except OSError as error:
        print(f"localcloud: cannot listen on {config.host}:{config.port}: {error.strerror}", file=sys.stderr)
        return 1
