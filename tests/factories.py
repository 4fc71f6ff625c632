"""Test data for the portal: a CloudAccount for the running localcloud, policies from presets, users with tokens.

account = make_account(localcloud)
policy = make_policy(account, preset="read-write own prefix", bucket=DEMO_BUCKET)
alice = make_user("alice", policy=policy)
token = make_token(alice)
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group

from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from signer import services
from signer.models import AccessPolicy, CloudAccount
from signer.presets import preset_statements

REGION = "ap-guangzhou"
APPID = DEFAULT_APPID
DEMO_BUCKET = f"demo-{APPID}"
PASSWORD = "correct-horse-battery-staple"


def make_account(
    localcloud: RunningServer | None = None,
    *,
    name: str = "localcloud",
    secret_id: str = DEFAULT_SECRET_ID,
    secret_key: str = DEFAULT_SECRET_KEY,
    appid: str = APPID,
    region: str = REGION,
    role_arn: str = "",
    is_active: bool = True,
) -> CloudAccount:
    """The localcloud root account (the well-known development keys) or any other keys; stored encrypted."""
    return services.account_create(
        name=name,
        appid=appid,
        secret_id=secret_id,
        secret_key=secret_key,
        default_region=region,
        role_arn=role_arn,
        is_active=is_active,
    )


def make_policy(
    account: CloudAccount,
    *,
    name: str | None = None,
    preset: str = "read-write own prefix",
    bucket: str = DEMO_BUCKET,
    region: str = REGION,
    statements: list[dict[str, Any]] | None = None,
    duration: int = 1800,
    priority: int = 0,
    users: Iterable[AbstractBaseUser] = (),
    groups: Iterable[Group] = (),
    **fields: Any,
) -> AccessPolicy:
    policy = AccessPolicy.objects.create(
        name=name or f"{preset} {secrets.token_hex(3)}",
        account=account,
        duration=duration,
        priority=priority,
        statements=statements if statements is not None else preset_statements(preset, bucket=bucket, region=region),
        **fields,
    )
    policy.users.set(list(users))
    policy.groups.set(list(groups))
    return policy


def make_user(
    username: str = "alice",
    *,
    password: str = PASSWORD,
    policy: AccessPolicy | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> AbstractBaseUser:
    user_model = get_user_model()
    if is_superuser:
        user = user_model.objects.create_superuser(username=username, password=password, email="")
    else:
        user = user_model.objects.create_user(username=username, password=password, is_staff=is_staff)
    if policy is not None:
        policy.users.add(user)
    return user


def make_token(user: AbstractBaseUser) -> str:
    token, _ = services.token_create(user=user)
    return token


def make_bucket(localcloud: RunningServer, bucket: str = DEMO_BUCKET, *, region: str = REGION) -> str:
    """Create `bucket` at localcloud with the root keys (nothing happens when it already exists)."""
    from demo import cos

    keys = cos.Keys(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    try:
        cos.head_bucket(keys, region=region, bucket=bucket)
    except cos.CosError as exc:
        if exc.status != 404:
            raise
        cos.create_bucket(keys, region=region, bucket=bucket, cors_origins=["http://127.0.0.1:8000"])
    return bucket
