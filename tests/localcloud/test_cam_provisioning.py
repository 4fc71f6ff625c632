"""signer.cam, the portal's wrapper of tencentcloud-sdk-python-cam: where it points, and provisioning idempotently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_UIN, Config
from localcloud.server import RunningServer, start_in_thread
from signer import cam

PUT_ONLY = {"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cos:PutObject"], "resource": ["*"]}]}


@pytest.fixture
def server(tmp_path: Path, settings: Any) -> Iterator[RunningServer]:
    running = start_in_thread(Config(data_dir=tmp_path / "cam"))
    settings.LOCAL_MODE = True
    settings.LOCALCLOUD_URL = running.url
    yield running
    running.stop()


def test_it_targets_cam_tencentcloudapi_com_over_https_in_tencent_mode(settings: Any) -> None:
    settings.LOCAL_MODE = False
    client = cam.client("AKIDEXAMPLE", "example-key")
    profile = client.profile.httpProfile
    assert (profile.endpoint, profile.scheme) == ("cam.tencentcloudapi.com", "https")
    assert client.request.is_http is False


def test_it_targets_localcloud_over_http_in_local_mode(settings: Any) -> None:
    settings.LOCAL_MODE = True
    settings.LOCALCLOUD_URL = "http://127.0.0.1:9187"
    profile = cam.client("AKIDEXAMPLE", "example-key").profile.httpProfile
    assert (profile.endpoint, profile.scheme) == ("127.0.0.1:9187", "http")


def test_it_provisions_once_and_keeps_the_key_it_gave(server: RunningServer) -> None:
    admin = cam.client(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    first = cam.provision(admin, roles={"writer": PUT_ONLY}, user="portal", held_secret_id=None)
    again = cam.provision(admin, roles={"writer": PUT_ONLY}, user="portal", held_secret_id=first.secret_id)
    lost = cam.provision(admin, roles={"writer": PUT_ONLY}, user="portal", held_secret_id="AKIDFORGOTTEN")

    assert first.secret_key
    assert (again.secret_id, again.secret_key) == (first.secret_id, None)
    assert lost.secret_id != first.secret_id
    assert lost.secret_key
    assert first.role_arns == {"writer": f"qcs::cam::uin/{DEFAULT_UIN}:roleName/writer"}
    assert (first.owner_uin, first.appid) == (DEFAULT_UIN, "1250000000")
    accounts = server.app.credentials.accounts
    role = accounts.role(name="writer")
    assert role is not None
    assert role.trust == cam.trust_only(DEFAULT_UIN, first.user_uin)
    assert [policy.name for policy, _ in accounts.attached("role", role.role_id)] == ["writer-policy"]
    assert [policy.name for policy, _ in accounts.attached("user", str(first.user_uin))] == ["portal-assume"]
    assert first.secret_key not in repr(first)


def test_it_updates_a_policy_that_changed(server: RunningServer) -> None:
    admin = cam.client(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    cam.policy_ensure(admin, name="p", document=PUT_ONLY, description="v1")
    wider = {"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cos:*"], "resource": ["*"]}]}
    policy_id = cam.policy_ensure(admin, name="p", document=wider, description="v2")

    stored = server.app.credentials.accounts.policy(policy_id=policy_id)
    assert stored is not None
    assert (stored.document, stored.description) == (wider, "v2")


def test_it_raises_cam_errors_with_their_code(server: RunningServer) -> None:
    with pytest.raises(cam.CamError) as caught:
        cam.provision(cam.client(DEFAULT_SECRET_ID, "wrong-key"), roles={}, user="portal", held_secret_id=None)
    assert caught.value.code == "AuthFailure.SignatureFailure"
