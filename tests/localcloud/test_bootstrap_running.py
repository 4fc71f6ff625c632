"""bootstrap_demo against a localcloud that already runs on its own (another terminal, a container): it provisions
through CAM, and the portal's credentials work at that same process with no restart."""

from __future__ import annotations

from pathlib import Path

import requests

from localcloud.config import DEFAULT_UIN, Config
from localcloud.credentials import CredentialStore
from tests.localcloud.test_cli import Process, clean_env, free_port, processes  # noqa: F401 - the fixture
from tests.signer.test_commands import JOURNEY, bootstrap, bootstrap_env, manage

SIGN = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from demo import cos
from signer import services
token, _ = services.token_create(user=get_user_model().objects.get(username="alice"))
answer = Client().get("/sign", HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
body = json.loads(answer.content)
creds = body["data"]["credentials"]
keys = cos.Keys(creds["tmpSecretId"], creds["tmpSecretKey"], creds["sessionToken"])
cos.put_object(keys, region="ap-guangzhou", bucket="demo-1250000000", key="users/alice/signed.txt", body=b"signed")
print("sign:", answer.status_code, body["code"], "uploaded")
"""


def test_it_provisions_a_running_localcloud_through_cam(tmp_path: Path, processes: list[Process]) -> None:  # noqa: F811
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Its own data folder, not the portal's: only the CAM calls can tell it about the demo's roles.
    data = tmp_path / "elsewhere"
    localcloud = Process(["-m", "localcloud", "--port", str(port), "--data", str(data)], clean_env())
    processes.append(localcloud)
    localcloud.wait_for("Press Ctrl+C")

    first = bootstrap(tmp_path, url)
    assert first.returncode == 0, first.stderr
    assert "AssumeRole checked: OK" in first.stdout
    second = bootstrap(tmp_path, url)  # idempotent: the same roles, user and key
    assert second.returncode == 0, second.stderr

    journey = manage(bootstrap_env(tmp_path, url), "shell", "-v", "0", "-c", JOURNEY)
    assert journey.returncode == 0, journey.stderr
    assert journey.stdout.split() == [
        "alice:", "uploaded", "users/bob/hello.txt:", "AccessDenied", "top-level.txt:", "AccessDenied",
        "alice-bucket:", "AccessDenied", "admin:", "created",
    ]  # fmt: skip
    signed = manage(bootstrap_env(tmp_path, url), "shell", "-v", "0", "-c", SIGN)
    assert signed.returncode == 0, signed.stderr
    assert signed.stdout.split() == ["sign:", "200", "0", "uploaded"]
    counts = requests.get(f"{url}/_localcloud/stats", timeout=10).json()["counts"]
    assert counts["cam:CreateRole"] == 2  # cos-demo and cos-demo-admin, once
    assert counts["cam:CreateAccessKey"] == 1  # the second run kept the portal's key

    # What CAM holds: each role trusts the portal's sub-user only, whose one key the portal has.
    accounts = CredentialStore(Config(data_dir=data)).accounts
    user = accounts.user(name="cos-sign-portal")
    assert user is not None
    for name in ("cos-demo", "cos-demo-admin"):
        role = accounts.role(name=name)
        assert role is not None
        assert role.trust["statement"][0]["principal"] == {"qcs": [f"qcs::cam::uin/{DEFAULT_UIN}:uin/{user.uin}"]}
    assert len(accounts.access_keys(user)) == 1
    assert not (tmp_path / "localcloud" / "roles.json").exists()
