"""Benchmark data in the portal's database, run under the benchmark's settings (bench/harness.py calls it):

    python -m bench.fixtures setup --users 100 --bucket B [--bucket B2] --password PW   -> JSON users + tokens
    python -m bench.fixtures count                                    -> JSON audit row counts (outbox drained first)

`seed` fills localcloud's storage with many small objects before it starts (benchmarks and listing tests).

`setup` creates the localcloud root account, one "read-write own prefix" policy on the buckets (so every user's
rendered policy, and so their cached credentials, differ), users bench000... with knox tokens; the first user also gets
the password (for the demo page).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

import django

if TYPE_CHECKING:
    from localcloud.cos.storage import Storage


def setup(users: int, buckets: list[str], region: str, password: str) -> dict[str, object]:
    from django.contrib.auth import get_user_model

    from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
    from signer import services
    from signer.models import AccessPolicy
    from signer.presets import preset_statements

    account = services.account_create(
        name="bench",
        appid=DEFAULT_APPID,
        secret_id=DEFAULT_SECRET_ID,
        secret_key=DEFAULT_SECRET_KEY,
        default_region=region,
    )
    policy = AccessPolicy.objects.create(
        name="bench read-write own prefix",
        account=account,
        statements=[
            statement
            for bucket in buckets
            for statement in preset_statements("read-write own prefix", bucket=bucket, region=region)
        ],
        duration=1800,
    )
    model = get_user_model()
    made = []
    for index in range(users):
        user = model(username=f"bench{index:03d}")
        if index == 0:
            user.set_password(password)
        else:
            user.set_unusable_password()  # hashing 100 passwords would only slow the set-up down
        user.save()
        policy.users.add(user)
        token, _ = services.token_create(user=user)
        made.append({"name": user.username, "token": token})
    return {"users": made, "policy": policy.name}


def count() -> dict[str, int]:
    """Rows in the database, once the audit outbox (if any) is drained: every delivery so far."""
    from signer import audit
    from signer.models import IssuedCredential

    audit.drain(adopt_after=0)
    return {
        "issued": IssuedCredential.objects.count(),
        "from_cache": IssuedCredential.objects.filter(served_from_cache=True).count(),
    }


def seed(storage: Storage, bucket: str, objects: Iterable[tuple[str, bytes]], content_type: str = "text/plain") -> int:
    """Many small objects at once into an existing bucket: bodies written, one os.sync(), one transaction.

    Keys are checked like uploads; existing keys are replaced. Returns how many objects were stored.
    """
    from localcloud.cos.storage import check_key

    now = storage.clock()
    headers = json.dumps({"Content-Type": content_type})
    rows = []
    for key, body in objects:
        check_key(key)
        etag = f'"{hashlib.md5(body).hexdigest()}"'  # noqa: S324 - the protocol's ETag
        rows.append((bucket, key, storage.bodies.write(body), len(body), etag, headers, now))
    os.sync()
    storage.put_rows(bucket, rows)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fixtures")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("setup")
    make.add_argument("--users", type=int, default=100)
    make.add_argument("--bucket", action="append", required=True, help="repeatable")
    make.add_argument("--region", default="ap-guangzhou")
    make.add_argument("--password", required=True)
    commands.add_parser("count")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    if options.command == "setup":
        result: object = setup(options.users, options.bucket, options.region, options.password)
    else:
        result = count()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
