"""`manage.py bootstrap_demo [--password PW]`: everything the demo journey needs in local mode, idempotently.

- localcloud gets a role `cos-demo` (what the demo may ever do: `users/*` of the demo bucket) and a sub-account whose
  key may do nothing but `name/sts:AssumeRole` into it, written to `<LOCALCLOUD_DATA>/roles.json` (localcloud reads
  it at start). The portal's account "localcloud" holds that sub-account key and the role ARN, so the credentials it
  issues are the intersection of the role and each user's policy: the safe production setup is the one people copy.
- The bucket `demo-<appid>` in ap-guangzhou, with a CORS rule for the portal's origin (created with the root keys,
  which the portal does not store).
- The policy "read-write own prefix" on `users/${username}/*` (plus listing, multipart, GetService and HeadBucket),
  users alice and bob with it and a superuser admin. New users get the given password, or a random one that is
  printed; existing users keep theirs unless --password is given.
"""

from __future__ import annotations

import io
import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from demo import cos
from portal import localcloud_process
from qcloud.policy import substitute
from qcloud.resources import resource_name
from signer import services
from signer.models import AccessPolicy, CloudAccount
from signer.presets import BROWSE, LISTING, READ, UPLOAD, preset_statements

REGION = "ap-guangzhou"
POLICY_NAME = "read-write own prefix"
PORTAL_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]
USERS = ("alice", "bob")
ROLE = "cos-demo"
ADMIN_ROLE = "cos-demo-admin"
ADMIN_POLICY_NAME = "bucket admin"
ROLES_FILE_NAME = "roles.json"  # localcloud.config.ROLES_FILE_NAME: read from the data folder at start
SUBACCOUNT_PREFIX = "AKIDPORTALDEMO"
DEFAULT_UIN = "100000000001"  # localcloud.config.DEFAULT_UIN


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


def assume_only(*role_arns: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "statement": [{"effect": "allow", "action": ["name/sts:AssumeRole"], "resource": list(role_arns)}],
    }


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
        if not settings.LOCAL_MODE:
            raise CommandError(_("bootstrap_demo only runs in local mode (CLOUD_BACKEND=local)"))
        given: str | None = options.get("password")
        password = given or secrets.token_urlsafe(12)
        appid = settings.LOCALCLOUD_APPID
        bucket = f"demo-{appid}"
        origins: list[str] = options.get("origins") or PORTAL_ORIGINS

        secret_id, secret_key, role_arn, admin_role_arn = self._role(bucket, appid)
        account = self._account("localcloud", secret_id, secret_key, role_arn)
        admin_account = self._account("localcloud (bucket admin)", secret_id, secret_key, admin_role_arn)
        connection = self._bucket_and_check(bucket, [account, admin_account], origins)
        policy = self._policy(account, bucket)
        admin_policy = self._admin_policy(admin_account)
        created = self._users(policy, admin_policy, password, reset=bool(given))

        self.stdout.write(self.style.SUCCESS(_("Demo ready.")))
        self.stdout.write(
            _("  accounts %(account)s and %(admin)s: sub-account %(secret_id)s")
            % {"account": repr(account.name), "admin": repr(admin_account.name), "secret_id": account.masked_secret_id}
        )
        self.stdout.write(
            _("           may only AssumeRole into %(role)s and %(admin_role)s (%(connection)s)")
            % {"role": ROLE, "admin_role": ADMIN_ROLE, "connection": connection}
        )
        self.stdout.write(
            _("  bucket   %(bucket)s in %(region)s, CORS for %(origins)s")
            % {"bucket": bucket, "region": REGION, "origins": ", ".join(origins)}
        )
        self.stdout.write(
            _("  policy   %(policy)s: users/${username}/* in %(bucket)s (alice, bob)")
            % {"policy": repr(policy.name), "bucket": bucket}
        )
        self.stdout.write(
            _("  policy   %(policy)s: create buckets, any object (admin, via %(admin_role)s)")
            % {"policy": repr(admin_policy.name), "admin_role": ADMIN_ROLE}
        )
        if given or created:
            names = ", ".join(created if not given else [*USERS, "admin"])
            self.stdout.write(
                _("  users    %(names)s with password: %(password)s") % {"names": names, "password": password}
            )
        kept = [name for name in (*USERS, "admin") if name not in created]
        if kept and not given:
            self.stdout.write(
                _("  users    %(names)s kept their passwords (--password PW resets them)") % {"names": ", ".join(kept)}
            )

    def _role(self, bucket: str, appid: str) -> tuple[str, str, str, str]:
        """The demo roles and the assume-only sub-account in localcloud's roles file (kept when already there)."""
        path = Path(settings.LOCALCLOUD_DATA) / ROLES_FILE_NAME
        document: dict[str, Any] = {}
        if path.exists():
            try:
                document = json.loads(path.read_text())
            except ValueError as exc:
                raise CommandError(_("%(path)s is not valid JSON: %(error)s") % {"path": path, "error": exc}) from exc
            if "roles" not in document and "subaccounts" not in document:
                document = {"roles": document}
        roles: dict[str, Any] = dict(document.get("roles", {}))
        subaccounts: dict[str, Any] = dict(document.get("subaccounts", {}))
        uin = os.environ.get("LOCALCLOUD_UIN") or DEFAULT_UIN
        role_arn = f"qcs::cam::uin/{uin}:roleName/{ROLE}"
        admin_role_arn = f"qcs::cam::uin/{uin}:roleName/{ADMIN_ROLE}"
        roles[ROLE] = role_policy(bucket, appid)
        roles[ADMIN_ROLE] = admin_role_policy(appid)
        secret_id = next((sid for sid in subaccounts if sid.startswith(SUBACCOUNT_PREFIX)), None)
        if secret_id is None:
            secret_id = SUBACCOUNT_PREFIX + secrets.token_hex(9).upper()
            subaccounts[secret_id] = {"secret_key": secrets.token_urlsafe(24)}
        subaccounts[secret_id] = {**subaccounts[secret_id], "policy": assume_only(role_arn, admin_role_arn)}
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"roles": roles, "subaccounts": subaccounts}, indent=2))
        temporary.chmod(0o600)
        temporary.replace(path)
        return secret_id, str(subaccounts[secret_id]["secret_key"]), role_arn, admin_role_arn

    def _account(self, name: str, secret_id: str, secret_key: str, role_arn: str) -> CloudAccount:
        account = CloudAccount.objects.filter(name=name).first()
        if account is None:
            return services.account_create(
                name=name,
                appid=settings.LOCALCLOUD_APPID,
                secret_id=secret_id,
                secret_key=secret_key,
                default_region=REGION,
                role_arn=role_arn,
            )
        account.appid = settings.LOCALCLOUD_APPID
        account.role_arn = role_arn
        account.is_active = True
        services.account_set_secret(account=account, secret_id=secret_id, secret_key=secret_key)
        return account

    def _bucket_and_check(self, bucket: str, accounts: list[CloudAccount], origins: list[str]) -> str:
        process = None
        if not localcloud_process.is_listening(*localcloud_process.address()):
            # Only for the time it takes to set up: runserver starts its own.
            try:
                process = localcloud_process.start(io.StringIO())
            except localcloud_process.LocalcloudDidNotStart as exc:
                raise CommandError(str(exc)) from None
        try:
            keys = cos.Keys(settings.LOCALCLOUD_SECRET_ID, settings.LOCALCLOUD_SECRET_KEY)
            try:
                cos.head_bucket(keys, region=REGION, bucket=bucket)
            except cos.CosError as exc:
                if exc.status != 404:
                    raise CommandError(
                        _("cannot reach bucket %(bucket)s at localcloud: %(code)s: %(message)s")
                        % {"bucket": bucket, "code": exc.code, "message": exc.message}
                    ) from exc
                cos.create_bucket(keys, region=REGION, bucket=bucket, cors_origins=origins)
            else:
                cos.put_cors(keys, region=REGION, bucket=bucket, cors_origins=origins)
            results = [services.account_test_connection(account=account) for account in accounts]
        finally:
            if process is not None:
                localcloud_process.stop(process)
        failed = [result for result in results if not result.ok]
        if not failed:
            return _("AssumeRole checked: OK")
        result = failed[0]
        if process is not None:
            raise CommandError(
                _("localcloud refused AssumeRole into the demo role: %(code)s: %(message)s")
                % {"code": result.code, "message": result.message}
            )
        # A localcloud that was already running read its roles file before this one was written.
        return _("AssumeRole failed with %(code)s: restart localcloud so that it reads %(file)s") % {
            "code": result.code,
            "file": ROLES_FILE_NAME,
        }

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
