"""localcloud's CAM through the real tencentcloud-sdk-python-cam: roles, policies, sub-users and keys at run time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from tencentcloud.cam.v20190116 import cam_client, models
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sts.v20180813 import models as sts_models

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_UIN, Config
from localcloud.server import RunningServer, start_in_thread
from tests.cos_sdk import cos_client
from tests.localcloud.test_sts import sts

BUCKET = "camtest-1250000000"
OBJECTS = "qcs::cos:ap-guangzhou:uid/1250000000:camtest-1250000000/*"
PUT_ONLY = {
    "version": "2.0",
    "statement": [{"effect": "allow", "action": ["name/cos:PutObject"], "resource": [OBJECTS]}],
}


def trust(*principals: str) -> str:
    statement = {"action": "name/sts:AssumeRole", "effect": "allow", "principal": {"qcs": list(principals)}}
    return json.dumps({"version": "2.0", "statement": [statement]})


def account_trust() -> str:
    return trust(f"qcs::cam::uin/{DEFAULT_UIN}:root")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_in_thread(Config(data_dir=tmp_path / "cam"))
    cos_client(running).create_bucket(Bucket=BUCKET)
    yield running
    running.stop()


Call = Callable[..., Any]


def client(server: RunningServer, secret_id: str = DEFAULT_SECRET_ID, secret_key: str = DEFAULT_SECRET_KEY) -> Call:
    """`call("CreateRole", RoleName=...)` with the SDK pointed at localcloud (HttpProfile endpoint, as for STS)."""
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=f"{server.host}:{server.port}", protocol="http"))
    cam = cam_client.CamClient(credential.Credential(secret_id, secret_key), "", profile)

    def call(action: str, **params: Any) -> Any:
        request = getattr(models, f"{action}Request")()
        request.from_json_string(json.dumps(params))
        return getattr(cam, action)(request)

    return call


def code(call: Callable[[], object]) -> str:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    return str(caught.value.get_code())


def assume(server: RunningServer, role: str, key: tuple[str, str] | None = None) -> Any:
    request = sts_models.AssumeRoleRequest()
    request.RoleArn = f"qcs::cam::uin/{DEFAULT_UIN}:roleName/{role}"
    request.RoleSessionName = "alice"
    return sts(server, *(key or ())).AssumeRole(request)


def sub_user(call: Call, name: str, *policies: dict[str, Any]) -> tuple[int, str, str]:
    """A sub-user with its key and these policies attached: (uin, SecretId, SecretKey)."""
    uin = call("AddUser", Name=name, ConsoleLogin=0, UseApi=0).Uin
    key = call("CreateAccessKey", TargetUin=uin).AccessKey
    for index, document in enumerate(policies):
        policy_id = call("CreatePolicy", PolicyName=f"{name}-{index}", PolicyDocument=json.dumps(document)).PolicyId
        call("AttachUserPolicy", PolicyId=policy_id, AttachUin=uin)
    return uin, key.AccessKeyId, key.SecretAccessKey


def test_it_creates_roles_that_sts_knows_at_once(server: RunningServer) -> None:
    call = client(server)
    role_id = call("CreateRole", RoleName="uploader", PolicyDocument=account_trust(), Description="up").RoleId
    policy_id = call("CreatePolicy", PolicyName="uploader-policy", PolicyDocument=json.dumps(PUT_ONLY)).PolicyId
    call("AttachRolePolicy", PolicyId=policy_id, AttachRoleName="uploader")

    info = call("GetRole", RoleName="uploader").RoleInfo
    assert (info.RoleId, info.RoleName, json.loads(info.PolicyDocument)) == (
        role_id,
        "uploader",
        json.loads(account_trust()),
    )
    attached = call("ListAttachedRolePolicies", RoleName="uploader", Page=1, Rp=20)
    assert [(p.PolicyId, p.PolicyName) for p in attached.List] == [(policy_id, "uploader-policy")]

    creds = assume(server, "uploader").Credentials
    uploads = cos_client(server, creds.TmpSecretId, creds.TmpSecretKey, creds.Token, retry=0)
    uploads.put_object(Bucket=BUCKET, Key="a.txt", Body=b"a")
    with pytest.raises(Exception, match="AccessDenied"):
        uploads.get_object(Bucket=BUCKET, Key="a.txt")


def test_it_answers_cam_error_codes(server: RunningServer) -> None:
    call = client(server)
    call("CreateRole", RoleName="r", PolicyDocument=account_trust())
    call("CreatePolicy", PolicyName="p", PolicyDocument=json.dumps(PUT_ONLY))
    call("AddUser", Name="u")

    assert (
        code(lambda: call("CreateRole", RoleName="r", PolicyDocument=account_trust()))
        == "InvalidParameter.RoleNameInUse"
    )
    assert code(lambda: call("GetRole", RoleName="nobody")) == "InvalidParameter.RoleNotExist"
    assert (
        code(lambda: call("CreateRole", RoleName="bad", PolicyDocument="{}")) == "InvalidParameter.PolicyDocumentError"
    )
    policy = json.dumps(PUT_ONLY)
    assert (
        code(lambda: call("CreatePolicy", PolicyName="p", PolicyDocument=policy)) == "FailedOperation.PolicyNameInUse"
    )
    assert code(lambda: call("AttachRolePolicy", PolicyId=1, AttachRoleName="r")) == "InvalidParameter.PolicyIdNotExist"
    assert code(lambda: call("AddUser", Name="u")) == "InvalidParameter.SubUserNameInUse"
    assert code(lambda: call("GetUser", Name="nobody")) == "ResourceNotFound.UserNotExist"


def test_it_gives_a_user_at_most_two_keys(server: RunningServer) -> None:
    call = client(server)
    answer = call("AddUser", Name="portal", UseApi=1)
    call("CreateAccessKey", TargetUin=answer.Uin)

    assert code(lambda: call("CreateAccessKey", TargetUin=answer.Uin)) == "OperationDenied.AccessKeyOverLimit"
    listed = call("ListAccessKeys", TargetUin=answer.Uin).AccessKeys
    assert answer.SecretId in [k.AccessKeyId for k in listed]
    assert {k.Status for k in listed} == {"Active"}


def test_it_lets_only_the_root_key_call_cam(server: RunningServer) -> None:
    call = client(server)
    _, secret_id, secret_key = sub_user(
        call,
        "admin-wannabe",
        {"version": "2.0", "statement": [{"effect": "allow", "action": ["*"], "resource": ["*"]}]},
    )

    assert (
        code(lambda: client(server, secret_id, secret_key)("AddUser", Name="x")) == "AuthFailure.UnauthorizedOperation"
    )
    assert code(lambda: client(server, secret_id, "wrong")("GetUser", Name="x")) == "AuthFailure.SignatureFailure"


def test_it_enforces_trust_policies(server: RunningServer) -> None:
    call = client(server)
    assume_any = {
        "version": "2.0",
        "statement": [{"effect": "allow", "action": ["name/sts:AssumeRole"], "resource": ["*"]}],
    }
    portal_uin, portal_id, portal_key = sub_user(call, "portal", assume_any)
    _, other_id, other_key = sub_user(call, "other", assume_any)
    call("CreateRole", RoleName="portal-only", PolicyDocument=trust(f"qcs::cam::uin/{DEFAULT_UIN}:uin/{portal_uin}"))
    policy_id = call("CreatePolicy", PolicyName="put", PolicyDocument=json.dumps(PUT_ONLY)).PolicyId
    call("AttachRolePolicy", PolicyId=policy_id, AttachRoleName="portal-only")

    assert assume(server, "portal-only", (portal_id, portal_key)).Credentials.TmpSecretId
    with pytest.raises(TencentCloudSDKException, match="trust policy") as refused:
        assume(server, "portal-only", (other_id, other_key))
    assert refused.value.get_code() == "AuthFailure.UnauthorizedOperation"

    call("UpdateAssumeRolePolicy", RoleName="portal-only", PolicyDocument=account_trust())
    assert assume(server, "portal-only", (other_id, other_key)).Credentials.TmpSecretId


def test_it_limits_a_sub_user_to_its_attached_policies(server: RunningServer) -> None:
    call = client(server)
    _, secret_id, secret_key = sub_user(call, "writer", PUT_ONLY)
    writer = cos_client(server, secret_id, secret_key, retry=0)

    writer.put_object(Bucket=BUCKET, Key="w.txt", Body=b"w")
    with pytest.raises(Exception, match="AccessDenied"):
        writer.get_object(Bucket=BUCKET, Key="w.txt")


def test_it_keeps_cam_state_across_a_restart(tmp_path: Path) -> None:
    first = start_in_thread(Config(data_dir=tmp_path / "kept"))
    try:
        client(first)("CreateRole", RoleName="kept", PolicyDocument=account_trust())
    finally:
        first.stop()
    second = start_in_thread(Config(data_dir=tmp_path / "kept"))
    try:
        assert client(second)("GetRole", RoleName="kept").RoleInfo.RoleName == "kept"
    finally:
        second.stop()


def test_it_tells_the_appid_and_owner(server: RunningServer) -> None:
    answer = client(server)("GetUserAppId")
    assert (answer.OwnerUin, answer.AppId) == (DEFAULT_UIN, 1250000000)


def test_it_keeps_roles_file_roles_trusted_by_the_account(tmp_path: Path) -> None:
    roles = {"legacy": PUT_ONLY}
    running = start_in_thread(Config(data_dir=tmp_path / "legacy", roles=roles))
    try:
        assert assume(running, "legacy").Credentials.TmpSecretId
    finally:
        running.stop()


def test_it_caps_durations_when_configured(tmp_path: Path) -> None:
    running = start_in_thread(Config(data_dir=tmp_path / "cap", roles={"legacy": PUT_ONLY}, sts_duration_cap=30))
    try:
        request = sts_models.GetFederationTokenRequest()
        request.Name = "alice"
        request.Policy = quote(json.dumps(PUT_ONLY))
        request.DurationSeconds = 1800
        answer = sts(running).GetFederationToken(request)
        principal = running.app.credentials.lookup(answer.Credentials.TmpSecretId)
        assert principal is not None
        assert principal.expires_at == answer.ExpiredTime
        assert answer.ExpiredTime - running.app.clock <= 30
    finally:
        running.stop()


def test_it_forgets_deleted_roles_at_once(server: RunningServer) -> None:
    call = client(server)
    role_id = call("CreateRole", RoleName="gone", PolicyDocument=account_trust()).RoleId
    assert assume(server, "gone").Credentials.TmpSecretId

    call("DeleteRole", RoleId=role_id)

    assert code(lambda: call("GetRole", RoleName="gone")) == "InvalidParameter.RoleNotExist"
    assert code(lambda: assume(server, "gone")) == "ResourceNotFound.RoleNotFound"


def test_it_bounds_sessions_by_the_role_session_duration(server: RunningServer) -> None:
    client(server)("CreateRole", RoleName="brief", PolicyDocument=account_trust(), SessionDuration=3600)
    request = sts_models.AssumeRoleRequest()
    request.RoleArn = f"qcs::cam::uin/{DEFAULT_UIN}:roleName/brief"
    request.RoleSessionName = "alice"
    request.DurationSeconds = 3601

    assert code(lambda: sts(server).AssumeRole(request)) == "InvalidParameter.OverTimeError"
    request.DurationSeconds = None
    answer = sts(server).AssumeRole(request)
    assert answer.ExpiredTime - int(server.app.clock) <= 3600
