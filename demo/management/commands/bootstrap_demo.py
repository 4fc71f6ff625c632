"""`manage.py bootstrap_demo [--password PW]`: everything the demo journey needs in local mode, idempotently.

- Through CAM's own API (signer.cam, with the administrator's key: localcloud's root key in local mode,
  TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY with CLOUD_BACKEND=tencent): roles `cos-demo` (what the demo may
  ever do: `users/*` of the demo bucket) and `cos-demo-admin`, trusted only by the sub-user `cos-sign-portal`, whose
  key may do nothing but `name/sts:AssumeRole` into them. A localcloud already running learns them at once. The
  portal's account "localcloud" holds that key and the role ARN, so the credentials it issues are the intersection of
  the role and each user's policy: the safe production setup is the one people copy.
- The bucket `demo-<appid>` in ap-guangzhou, with a CORS rule for the portal's origin (created with the root keys,
  which the portal does not store).
- The policy "read-write own prefix" on `users/${username}/*` (plus listing, multipart, GetService and HeadBucket),
  users alice and bob with it and a superuser admin. New users get the given password, or a random one that is
  printed; existing users keep theirs unless --password is given.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from demo import cos
from portal import localcloud_process
from qcloud.policy import substitute
from qcloud.resources import resource_name
from signer import cam, services
from signer.models import AccessPolicy, CloudAccount
from signer.presets import BROWSE, LISTING, READ, UPLOAD, preset_statements

REGION = "ap-guangzhou"
POLICY_NAME = "read-write own prefix"
PORTAL_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]
USERS = ("alice", "bob")
ROLE = "cos-demo"
ADMIN_ROLE = "cos-demo-admin"
ADMIN_POLICY_NAME = "bucket admin"
PORTAL_USER = "cos-sign-portal"  # the CAM sub-user whose key the portal holds


def role_policy(bucket: str, appid: str) -> dict[str, Any]:
    """Everything the demo may do at most, for every user: their prefixes live under users/."""
    users = resource_name(REGION, appid, bucket, "users/*")
    return {
        "version": "2.0",
        "statement": [
            {"effect": "allow", "action": ["name/cos:GetService"], "resource": ["*"]},
            {"effect": "allow", "action": BROWSE, "resource": [resource_name(REGION, appid, bucket)]},
            {"effect": "allow", "action": [*LISTING, *UPLOAD, *READ, "name/cos:DeleteObject"], "resource": [users]},
        ],
    }


def admin_role_policy(appid: str) -> dict[str, Any]:
    """What the demo's bucket administrators may do at most: create buckets, set their CORS rules, manage objects."""
    template = {"version": "2.0", "statement": preset_statements(ADMIN_POLICY_NAME, bucket="*", region="*")}
    return substitute(template, {"appid": appid})


class Command(BaseCommand):
    help = "Set up the local demo: role-based localcloud account, demo bucket, policy, users alice/bob and admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Password for alice, bob and admin (default: random, printed).")
        parser.add_argument(
            "--origin",
            action="append",
            dest="origins",
            metavar="URL",
            help="Origin the portal is served from, allowed by the demo bucket's CORS rule (repeatable; "
            f"default: {', '.join(PORTAL_ORIGINS)}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        given: str | None = options.get("password")
        password = given or secrets.token_urlsafe(12)
        origins: list[str] = options.get("origins") or PORTAL_ORIGINS
        admin_keys = self._admin_keys()

        with self._localcloud_running():
            admin = cam.client(admin_keys.secret_id, admin_keys.secret_key)
            appid, secret_id, secret_key, role_arn, admin_role_arn = self._role(admin)
            bucket = f"demo-{appid}"
            account = self._account("localcloud", appid, secret_id, secret_key, role_arn)
            admin_account = self._account("localcloud (bucket admin)", appid, secret_id, secret_key, admin_role_arn)
            connection = self._bucket_and_check(admin_keys, bucket, [account, admin_account], origins)
        policy = self._policy(account, bucket)
        admin_policy = self._admin_policy(admin_account)
        created = self._users(policy, admin_policy, password, reset=bool(given))

        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(
            f"  accounts {account.name!r} and {admin_account.name!r}: sub-account {account.masked_secret_id}"
        )
        self.stdout.write(f"           may only AssumeRole into {ROLE} and {ADMIN_ROLE} ({connection})")
        self.stdout.write(f"  bucket   {bucket} in {REGION}, CORS for {', '.join(origins)}")
        self.stdout.write(f"  policy   {policy.name!r}: users/${{username}}/* in {bucket} (alice, bob)")
        self.stdout.write(f"  policy   {admin_policy.name!r}: create buckets, any object (admin, via {ADMIN_ROLE})")
        if given or created:
            names = ", ".join(created if not given else [*USERS, "admin"])
            self.stdout.write(f"  users    {names} with password: {password}")
        kept = [name for name in (*USERS, "admin") if name not in created]
        if kept and not given:
            self.stdout.write(f"  users    {', '.join(kept)} kept their passwords (--password PW resets them)")

    def _admin_keys(self) -> cos.Keys:
        """The key that provisions: localcloud's root key, or a Tencent Cloud administrator's (never stored)."""
        if settings.LOCAL_MODE:
            return cos.Keys(settings.LOCALCLOUD_SECRET_ID, settings.LOCALCLOUD_SECRET_KEY)
        secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID", "")
        secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY", "")
        if not secret_id or not secret_key:
            raise CommandError(
                "with CLOUD_BACKEND=tencent, set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY to a key allowed "
                "to manage CAM and create buckets (used for this command only, never stored)"
            )
        return cos.Keys(secret_id, secret_key)

    @contextlib.contextmanager
    def _localcloud_running(self) -> Iterator[None]:
        """In local mode, a localcloud to provision: the one listening, else one only for this command."""
        process = None
        if settings.LOCAL_MODE and not localcloud_process.is_listening(*localcloud_process.address()):
            try:
                process = localcloud_process.start(io.StringIO())
            except localcloud_process.LocalcloudDidNotStart as exc:
                raise CommandError(str(exc)) from None
        try:
            yield
        finally:
            if process is not None:
                localcloud_process.stop(process)

    def _role(self, admin: Any) -> tuple[str, str, str, str, str]:
        """The demo roles and the assume-only sub-user, through CAM: (appid, SecretId, SecretKey, role ARN, admin
        role ARN). The key the portal holds is kept while CAM still has it."""
        held = CloudAccount.objects.filter(name="localcloud").first()
        try:
            # The policies name the appid, which CAM tells: ask it first, as provision() does.
            appid = str(cam.account_appid(admin))
            done = cam.provision(
                admin,
                roles={ROLE: role_policy(f"demo-{appid}", appid), ADMIN_ROLE: admin_role_policy(appid)},
                user=PORTAL_USER,
                held_secret_id=held.secret_id if held is not None else None,
            )
        except cam.CamError as exc:
            raise CommandError(f"CAM refused to provision the demo roles: {exc.code}: {exc.message}") from exc
        secret_key = done.secret_key if done.secret_key is not None else held.secret_key if held else ""
        return done.appid, done.secret_id, secret_key, done.role_arns[ROLE], done.role_arns[ADMIN_ROLE]

    def _account(self, name: str, appid: str, secret_id: str, secret_key: str, role_arn: str) -> CloudAccount:
        account = CloudAccount.objects.filter(name=name).first()
        if account is None:
            return services.account_create(
                name=name,
                appid=appid,
                secret_id=secret_id,
                secret_key=secret_key,
                default_region=REGION,
                role_arn=role_arn,
            )
        account.appid = appid
        account.role_arn = role_arn
        account.is_active = True
        services.account_set_secret(account=account, secret_id=secret_id, secret_key=secret_key)
        return account

    def _bucket_and_check(self, keys: cos.Keys, bucket: str, accounts: list[CloudAccount], origins: list[str]) -> str:
        try:
            cos.head_bucket(keys, region=REGION, bucket=bucket)
        except cos.CosError as exc:
            if exc.status != 404:
                raise CommandError(f"cannot reach bucket {bucket}: {exc.code}: {exc.message}") from exc
            cos.create_bucket(keys, region=REGION, bucket=bucket, cors_origins=origins)
        else:
            cos.put_cors(keys, region=REGION, bucket=bucket, cors_origins=origins)
        results = [services.account_test_connection(account=account) for account in accounts]
        failed = [result for result in results if not result.ok]
        if failed:
            result = failed[0]
            raise CommandError(f"AssumeRole into the demo role failed: {result.code}: {result.message}")
        return "AssumeRole checked: OK"

    def _policy(self, account: CloudAccount, bucket: str) -> AccessPolicy:
        policy, _ = AccessPolicy.objects.update_or_create(
            name=POLICY_NAME,
            defaults={
                "account": account,
                "description": "Everyday access: list, upload, download and delete under users/<username>/.",
                "statements": preset_statements(POLICY_NAME, bucket=bucket, region=REGION),
            },
        )
        return policy

    def _admin_policy(self, account: CloudAccount) -> AccessPolicy:
        policy, _ = AccessPolicy.objects.update_or_create(
            name=ADMIN_POLICY_NAME,
            defaults={
                "account": account,
                "description": "Create buckets (with the portal's CORS rule) and manage every object in them.",
                "statements": preset_statements(ADMIN_POLICY_NAME, bucket="*", region="*"),
            },
        )
        return policy

    @transaction.atomic
    def _users(self, policy: AccessPolicy, admin_policy: AccessPolicy, password: str, *, reset: bool) -> list[str]:
        user_model = get_user_model()
        created: list[str] = []
        for name in (*USERS, "admin"):
            user = user_model.objects.filter(username=name).first()
            if user is None:
                user = user_model(username=name)
                created.append(name)
            elif not reset:
                (admin_policy if name == "admin" else policy).users.add(user)
                continue
            user.set_password(password)
            if name == "admin":
                user.is_staff = user.is_superuser = True
            user.save()
            (admin_policy if name == "admin" else policy).users.add(user)
        return created
