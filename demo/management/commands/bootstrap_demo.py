"""`manage.py bootstrap_demo [--password PW]`: everything the demo journey needs in local mode, idempotently.

The localcloud account (from the LOCALCLOUD_* settings), the bucket `demo-<appid>` in ap-guangzhou with a CORS rule
for the portal's origin, the policy "read-write own prefix" on `users/${username}/*` (plus listing, multipart,
GetService and HeadBucket), users alice and bob with that policy and a superuser admin. New users get the given
password, or a random one that is printed; existing users keep theirs unless --password is given.
"""

from __future__ import annotations

import io
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from demo import cos
from signer import services
from signer.models import AccessPolicy, CloudAccount
from signer.presets import preset_statements

REGION = "ap-guangzhou"
POLICY_NAME = "read-write own prefix"
PORTAL_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]
USERS = ("alice", "bob")


class Command(BaseCommand):
    help = "Set up the local demo: localcloud account, demo bucket, policy, users alice/bob and superuser admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Password for alice, bob and admin (default: random, printed).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.LOCAL_MODE:
            raise CommandError("bootstrap_demo only runs in local mode (CLOUD_BACKEND=local)")
        given: str | None = options.get("password")
        password = given or secrets.token_urlsafe(12)

        account = self._account()
        bucket = f"demo-{account.appid}"
        self._bucket(bucket)
        policy = self._policy(account, bucket)
        created = self._users(policy, password, reset=bool(given))

        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"  account  {account.name} (AppID {account.appid}, SecretId {account.masked_secret_id})")
        self.stdout.write(f"  bucket   {bucket} in {REGION}, CORS for {', '.join(PORTAL_ORIGINS)}")
        self.stdout.write(f"  policy   {policy.name!r}: users/${{username}}/* in {bucket}")
        if given or created:
            names = ", ".join(created if not given else [*USERS, "admin"])
            self.stdout.write(f"  users    {names} with password: {password}")
        kept = [name for name in (*USERS, "admin") if name not in created]
        if kept and not given:
            self.stdout.write(f"  users    {', '.join(kept)} kept their passwords (--password PW resets them)")

    def _account(self) -> CloudAccount:
        account = CloudAccount.objects.filter(name="localcloud").first()
        if account is None:
            return services.account_create(
                name="localcloud",
                appid=settings.LOCALCLOUD_APPID,
                secret_id=settings.LOCALCLOUD_SECRET_ID,
                secret_key=settings.LOCALCLOUD_SECRET_KEY,
                default_region=REGION,
            )
        changed = account.appid != settings.LOCALCLOUD_APPID or account.secret_id != settings.LOCALCLOUD_SECRET_ID
        if changed or account.secret_key != settings.LOCALCLOUD_SECRET_KEY or not account.is_active:
            account.appid = settings.LOCALCLOUD_APPID
            account.is_active = True
            services.account_set_secret(
                account=account, secret_id=settings.LOCALCLOUD_SECRET_ID, secret_key=settings.LOCALCLOUD_SECRET_KEY
            )
        return account

    def _bucket(self, bucket: str) -> None:
        from portal.management.commands.runserver import is_listening, start_localcloud, stop_localcloud

        url = urlsplit(settings.LOCALCLOUD_URL)
        process = None
        if not is_listening(url.hostname or "127.0.0.1", url.port or 9100):
            # Only for the time it takes to create the bucket: runserver starts its own.
            process = start_localcloud(io.StringIO())
        try:
            keys = cos.Keys(settings.LOCALCLOUD_SECRET_ID, settings.LOCALCLOUD_SECRET_KEY)
            try:
                cos.head_bucket(keys, region=REGION, bucket=bucket)
            except cos.CosError as exc:
                if exc.status != 404:
                    raise CommandError(
                        f"cannot reach bucket {bucket} at localcloud: {exc.code}: {exc.message}"
                    ) from exc
                cos.create_bucket(keys, region=REGION, bucket=bucket, cors_origins=PORTAL_ORIGINS)
            else:
                cos.put_cors(keys, region=REGION, bucket=bucket, cors_origins=PORTAL_ORIGINS)
        finally:
            if process is not None:
                stop_localcloud(process)

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

    @transaction.atomic
    def _users(self, policy: AccessPolicy, password: str, *, reset: bool) -> list[str]:
        user_model = get_user_model()
        created: list[str] = []
        for name in (*USERS, "admin"):
            user = user_model.objects.filter(username=name).first()
            if user is None:
                user = user_model(username=name)
                created.append(name)
            elif not reset:
                if name != "admin":
                    policy.users.add(user)
                continue
            user.set_password(password)
            if name == "admin":
                user.is_staff = user.is_superuser = True
            user.save()
            if name != "admin":
                policy.users.add(user)
        return created
