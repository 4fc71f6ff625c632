"""manage.py add_account, rotate_secrets_key, prune_audit and bootstrap_demo."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import time_machine
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from localcloud.config import Config
from localcloud.credentials import CredentialStore
from localcloud.server import start_in_thread
from signer.models import AccessPolicy, CloudAccount, IssuedCredential
from tests.factories import make_account, make_policy, make_token, make_user
from tests.net import free_port
from tests.signer.conftest import Api

REPO = Path(__file__).resolve().parents[2]


KEY = "a-secret-key-from-stdin-0123456789"


def add_account(**options: Any) -> str:
    output = io.StringIO()
    defaults = {"name": "prod", "secret_id": "AKIDPRODUCTIONKEY000000000000001", "appid": "1250000000"}
    call_command("add_account", **{**defaults, **options}, stdout=output, stderr=output)
    return output.getvalue()


def test_it_adds_an_account_from_stdin_without_echoing_the_key(db: None) -> None:
    output = add_account(stdin=io.StringIO(KEY + "\n"), region="ap-shanghai")
    account = CloudAccount.objects.get(name="prod")
    assert account.secret_key == KEY
    assert account.default_region == "ap-shanghai"
    assert KEY not in output
    assert "AKID********0001" in output
    assert "AKIDPRODUCTIONKEY000000000000001" not in output


def test_it_adds_an_account_from_a_key_file_and_updates_it(db: None, tmp_path: Path) -> None:
    key_file = tmp_path / "secret"
    key_file.write_text(KEY + "\n")
    add_account(secret_key_file=str(key_file))
    key_file.write_text("a-rotated-secret-key-000000000000\n")
    output = add_account(secret_key_file=str(key_file), role_arn="qcs::cam::uin/100000000001:roleName/cos-demo")
    account = CloudAccount.objects.get(name="prod")
    assert "Updated account 'prod'" in output
    assert account.secret_key == "a-rotated-secret-key-000000000000"
    assert account.role_arn == "qcs::cam::uin/100000000001:roleName/cos-demo"


def test_it_refuses_an_account_without_a_key_or_with_bad_fields(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no SecretKey given"):
        add_account(stdin=io.StringIO(""))
    with pytest.raises(CommandError, match="cannot read --secret-key-file"):
        add_account(secret_key_file=str(tmp_path / "missing"))
    with pytest.raises(CommandError, match=r"appid: An AppID is a number like 1250000000\."):
        add_account(stdin=io.StringIO(KEY), appid="abc")
    assert not CloudAccount.objects.exists()


def test_it_never_puts_the_key_on_the_command_line() -> None:
    # The key is not an option at all: it cannot end up in `ps` or the shell history.
    result = subprocess.run(
        [sys.executable, "manage.py", "add_account", "--help"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert "--secret-key-file" in result.stdout
    assert "--secret-key " not in result.stdout


def test_it_rotates_the_secrets_key(db: None, settings: Any) -> None:
    old = settings.PORTAL_SECRETS_KEYS[0]
    account = make_account(secret_key=KEY)
    new = Fernet.generate_key().decode()
    settings.PORTAL_SECRETS_KEYS = [new, old]
    output = io.StringIO()
    call_command("rotate_secrets_key", stdout=output)
    assert "Re-encrypted 1 account secret(s)" in output.getvalue()
    settings.PORTAL_SECRETS_KEYS = [new]  # the old key can go
    account.refresh_from_db()
    assert account.secret_key == KEY
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_key_encrypted FROM signer_cloudaccount")
        assert KEY not in cursor.fetchone()[0]

    settings.PORTAL_SECRETS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="cannot be decrypted with any key in PORTAL_SECRETS_KEYS"):
        call_command("rotate_secrets_key", stdout=output)


def test_it_prunes_old_audit_rows(api: Api, alice_token: str) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        assert api.get("/sign", token=alice_token).status_code == 200
    assert api.get("/sign", token=alice_token).status_code == 200
    output = io.StringIO()
    call_command("prune_audit", days=30, stdout=output)
    assert "Deleted 1 audit row(s) older than 30 day(s)." in output.getvalue()
    assert IssuedCredential.objects.count() == 1


def bootstrap_env(tmp_path: Path, localcloud_url: str, mode: str = "local") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CLOUD_", "LOCALCLOUD_"))}
    env.update(
        {
            "PORTAL_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            "LOCALCLOUD_URL": localcloud_url,
            "CLOUD_BACKEND": mode,
        }
    )
    if mode == "tencent":
        env.update({"SECRET_KEY": "x" * 50, "PORTAL_SECRETS_KEYS": Fernet.generate_key().decode()})
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def bootstrap(tmp_path: Path, localcloud_url: str, *args: str, mode: str = "local") -> subprocess.CompletedProcess[str]:
    env = bootstrap_env(tmp_path, localcloud_url, mode)
    assert manage(env, "migrate", "-v0").returncode == 0
    return manage(env, "bootstrap_demo", *args)


JOURNEY = """
from django.contrib.auth import get_user_model
from demo import cos
from signer import services
credentials = services.credentials_issue(user=get_user_model().objects.get(username="alice"))
keys = cos.keys_from(credentials)
cos.put_object(keys, region="ap-guangzhou", bucket="demo-1250000000", key="users/alice/hello.txt", body=b"hi")
print("alice: uploaded")
for key in ("users/bob/hello.txt", "top-level.txt"):
    try:
        cos.put_object(keys, region="ap-guangzhou", bucket="demo-1250000000", key=key, body=b"no")
    except cos.CosError as exc:
        print(f"{key}: {exc.code}")
try:
    cos.create_bucket(keys, region="ap-beijing", bucket="alices-1250000000", cors_origins=[])
except cos.CosError as exc:
    print(f"alice-bucket: {exc.code}")
admin = cos.keys_from(services.credentials_issue(user=get_user_model().objects.get(username="admin")))
cos.create_bucket(admin, region="ap-beijing", bucket="photos-1250000000", cors_origins=["http://127.0.0.1:8000"])
cos.put_object(admin, region="ap-beijing", bucket="photos-1250000000", key="cat.jpg", body=b"meow")
print("admin: created")
"""


def test_it_bootstraps_the_demo_idempotently_with_a_role_based_account(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Nothing listens at LOCALCLOUD_URL: bootstrap_demo starts localcloud for as long as it needs it.
    first = bootstrap(tmp_path, url)
    assert first.returncode == 0, first.stderr
    assert "AssumeRole checked: OK" in first.stdout
    assert "users    alice, bob, admin with password: " in first.stdout
    password = first.stdout.split("with password: ")[1].split()[0]
    assert len(password) >= 12

    second = bootstrap(tmp_path, url)
    assert second.returncode == 0, second.stderr
    assert "kept their passwords" in second.stdout
    assert "AssumeRole checked: OK" in second.stdout
    third = bootstrap(tmp_path, url, "--password", "given-password-123", "--origin", "http://127.0.0.1:8800")
    assert "alice, bob, admin with password: given-password-123" in third.stdout
    assert "CORS for http://127.0.0.1:8800\n" in third.stdout  # `make run PORT=8800`

    # Provisioned through CAM into the localcloud it started (the portal's data folder): the sub-user's key may only
    # assume the two roles.
    cam = CredentialStore(Config(data_dir=tmp_path / "localcloud")).accounts
    portal_user = cam.user(name="cos-sign-portal")
    assert portal_user is not None
    [key] = cam.access_keys(portal_user)
    sub_id, sub = key.secret_id, {"secret_key": key.secret_key}
    role_arn = "qcs::cam::uin/100000000001:roleName/cos-demo"
    admin_arn = "qcs::cam::uin/100000000001:roleName/cos-demo-admin"
    assume = [{"effect": "allow", "action": ["name/sts:AssumeRole"], "resource": [role_arn, admin_arn]}]
    assert cam.effective_policy("user", str(portal_user.uin))["statement"] == assume

    db = sqlite3.connect(tmp_path / "portal.sqlite3")
    accounts = db.execute(
        "SELECT name, secret_id, role_arn, secret_key_encrypted FROM signer_cloudaccount ORDER BY name"
    ).fetchall()
    assert [row[:3] for row in accounts] == [
        ("localcloud", sub_id, role_arn),
        ("localcloud (bucket admin)", sub_id, admin_arn),
    ]
    assert all(sub["secret_key"] not in row[3] for row in accounts)
    policies = db.execute("SELECT name FROM signer_accesspolicy ORDER BY name").fetchall()
    assert policies == [("bucket admin",), ("read-write own prefix",)]
    users = db.execute("SELECT username, is_superuser FROM auth_user ORDER BY username").fetchall()
    assert users == [("admin", 1), ("alice", 0), ("bob", 0)]
    assert db.execute("SELECT COUNT(*) FROM signer_accesspolicy_users").fetchone() == (3,)
    db.close()

    # The localcloud runserver would start (same data folder) knows the role: alice's credentials come from
    # AssumeRole and can write her prefix only.
    server = start_in_thread(Config.from_env(data_dir=tmp_path / "localcloud"), port=port)
    try:
        journey = manage(bootstrap_env(tmp_path, url), "shell", "-v", "0", "-c", JOURNEY)
        # The bucket's CORS rule follows the last --origin: the browser on that port may upload, :8000 no longer.
        preflight = {"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization"}
        bucket_url = f"{url}/cos/ap-guangzhou/demo-1250000000/users/alice/x"
        allowed = requests.options(bucket_url, headers={"Origin": "http://127.0.0.1:8800", **preflight}, timeout=10)
        refused = requests.options(bucket_url, headers={"Origin": "http://127.0.0.1:8000", **preflight}, timeout=10)
    finally:
        server.stop()
    assert journey.returncode == 0, journey.stderr
    assert journey.stdout.split() == [
        "alice:", "uploaded", "users/bob/hello.txt:", "AccessDenied", "top-level.txt:", "AccessDenied",
        "alice-bucket:", "AccessDenied", "admin:", "created",
    ]  # fmt: skip
    assert server.app.stats.snapshot().get("sts:AssumeRole") == 2
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8800"
    assert refused.status_code == 403


def test_it_needs_an_administrator_key_outside_local_mode(tmp_path: Path) -> None:
    result = bootstrap(tmp_path, "http://127.0.0.1:9", mode="tencent")
    assert result.returncode != 0
    assert "set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY" in result.stderr


def test_the_bootstrapped_policy_is_what_the_demo_needs(db: None) -> None:
    from signer.presets import preset_statements

    statements = preset_statements("read-write own prefix", bucket="demo-1250000000", region="ap-guangzhou")
    account = make_account()
    policy = make_policy(account, statements=statements)
    alice = make_user("alice", policy=policy)
    rendered = AccessPolicy.objects.get(pk=policy.pk).render(alice)
    from qcloud.operations import authorize

    def allowed(operation: str, key: str = "", prefix: str = "") -> bool:
        return authorize(
            [rendered], operation, region="ap-guangzhou", appid="1250000000", bucket="demo-1250000000", key=key,
            prefix=prefix,
        ).allowed  # fmt: skip

    assert authorize([rendered], "GetService", region="ap-guangzhou", appid="1250000000", bucket=None).allowed
    assert allowed("HeadBucket")
    assert allowed("GetBucket", prefix="users/alice/")
    assert not allowed("GetBucket", prefix="users/")
    assert allowed("ListMultipartUploads", prefix="users/alice/big.bin")
    for operation in ("PutObject", "InitiateMultipartUpload", "UploadPart", "ListParts", "CompleteMultipartUpload",
                      "AbortMultipartUpload", "GetObject", "HeadObject", "DeleteObject"):  # fmt: skip
        assert allowed(operation, key="users/alice/a.bin"), operation
        assert not allowed(operation, key="users/bob/a.bin"), operation
    assert not allowed("PutBucket")
    assert make_token(alice)
    assert get_user_model().objects.count() == 1
