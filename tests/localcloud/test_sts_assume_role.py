"""AssumeRole through tencentcloud-sdk-python-sts, and what the credentials may do at localcloud's COS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError
from tencentcloud.sts.v20180813 import models

from localcloud.config import Config
from localcloud.server import RunningServer, start_in_thread
from tests.cos_sdk import cos_client
from tests.localcloud.test_sts import error_code, federation_request, sts

REGION = "ap-guangzhou"
BUCKET = "photos-1250000000"
UIN = "100000000001"
UPLOADER_ARN = f"qcs::cam::uin/{UIN}:roleName/uploader"
OTHER_ARN = f"qcs::cam::uin/{UIN}:roleName/auditor"


def allow(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"version": "2.0", "statement": [{"effect": "allow", "action": actions, "resource": resources}]}


def objects(prefix: str) -> str:
    return f"qcs::cos:{REGION}:uid/1250000000:{BUCKET}/{prefix}"


ROLES = {
    "uploader": allow(["name/cos:PutObject", "name/cos:GetObject", "name/cos:HeadObject"], [objects("users/*")]),
    "auditor": allow(["name/cos:GetObject"], [objects("*")]),
}
SUBACCOUNTS = {
    # The least-privilege production setup: a key that can do nothing but assume the uploader role.
    "AKIDPORTALASSUMER": ("portal-assumer-key", allow(["name/sts:AssumeRole"], [UPLOADER_ARN])),
    "AKIDPORTALFEDERATOR": ("portal-federator-key", allow(["name/sts:GetFederationToken"], ["*"])),
}


@pytest.fixture(scope="module")
def cam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_in_thread(Config(data_dir=tmp_path_factory.mktemp("cam"), roles=ROLES, subaccounts=SUBACCOUNTS))
    cos(server, server.app.config.secret_id, server.app.config.secret_key).create_bucket(Bucket=BUCKET)
    yield server
    server.stop()


def cos(server: RunningServer, secret_id: str, secret_key: str, token: str | None = None) -> CosS3Client:
    return cos_client(server, secret_id, secret_key, token, retry=0)


def assume(
    server: RunningServer,
    *,
    role_arn: str = UPLOADER_ARN,
    session: str | None = "alice",
    policy: dict[str, Any] | None = None,
    duration: int | None = None,
    key: tuple[str, str] | None = None,
) -> models.AssumeRoleResponse:
    request = models.AssumeRoleRequest()
    request.RoleArn = role_arn
    request.RoleSessionName = session
    request.Policy = quote(json.dumps(policy)) if policy is not None else None
    request.DurationSeconds = duration
    return sts(server, *(key or ())).AssumeRole(request)


def put_status(server: RunningServer, response: models.AssumeRoleResponse, key: str) -> str:
    """ "200" or "<status> <COS error code>" for a PutObject with the assumed role's credentials."""
    creds = response.Credentials
    client = cos(server, creds.TmpSecretId, creds.TmpSecretKey, creds.Token)
    try:
        client.put_object(Bucket=BUCKET, Key=key, Body=b"hello")
    except CosServiceError as error:
        return f"{error.get_status_code()} {error.get_error_code()}"
    return "200"


def test_it_assumes_a_role(cam: RunningServer) -> None:
    response = assume(cam)

    assert response.Credentials.TmpSecretId.startswith("AKID")
    assert response.Credentials.Token
    principal = cam.app.credentials.lookup(response.Credentials.TmpSecretId)
    assert principal is not None
    assert [json.loads(p) for p in principal.policies] == [ROLES["uploader"]]
    assert principal.expires_at == response.ExpiredTime
    assert "alice" in principal.name


def test_it_defaults_to_two_hours_and_allows_twelve(cam: RunningServer) -> None:
    default = assume(cam)
    longest = assume(cam, duration=43200)

    assert longest.ExpiredTime - default.ExpiredTime in range(43200 - 7200 - 5, 43200 - 7200 + 5)
    assert error_code(lambda: assume(cam, duration=43201)).code == "InvalidParameter.OverTimeError"


def test_it_intersects_the_role_and_the_session_policy(cam: RunningServer) -> None:
    response = assume(cam, policy=allow(["name/cos:PutObject"], [objects("users/alice/*")]))

    principal = cam.app.credentials.lookup(response.Credentials.TmpSecretId)
    assert principal is not None
    assert len(principal.policies) == 2
    assert put_status(cam, response, "users/alice/cat.jpg") == "200"
    assert put_status(cam, response, "users/bob/cat.jpg") == "403 AccessDenied"
    root = cos(cam, cam.app.config.secret_id, cam.app.config.secret_key)
    assert root.get_object(Bucket=BUCKET, Key="users/alice/cat.jpg")["Body"].get_raw_stream().read() == b"hello"


def test_it_never_widens_the_role_with_the_session_policy(cam: RunningServer) -> None:
    response = assume(cam, policy=allow(["name/cos:*"], ["*"]))

    assert put_status(cam, response, "users/charlie/notes.txt") == "200"
    assert put_status(cam, response, "public/notes.txt") == "403 AccessDenied"


def test_it_lets_a_sub_account_assume_the_role_its_policy_names(cam: RunningServer) -> None:
    response = assume(cam, key=("AKIDPORTALASSUMER", "portal-assumer-key"))

    assert put_status(cam, response, "users/alice/from-sub-account.txt") == "200"


def test_it_refuses_a_role_the_sub_account_may_not_assume(cam: RunningServer) -> None:
    error = error_code(lambda: assume(cam, role_arn=OTHER_ARN, key=("AKIDPORTALASSUMER", "portal-assumer-key")))

    assert error.code == "AuthFailure.UnauthorizedOperation"
    assert OTHER_ARN in error.message


def test_it_refuses_a_sub_account_without_sts_assume_role(cam: RunningServer) -> None:
    error = error_code(lambda: assume(cam, key=("AKIDPORTALFEDERATOR", "portal-federator-key")))

    assert error.code == "AuthFailure.UnauthorizedOperation"


def test_it_checks_the_sub_account_key(cam: RunningServer) -> None:
    error = error_code(lambda: assume(cam, key=("AKIDPORTALASSUMER", "wrong")))

    assert error.code == "AuthFailure.SignatureFailure"


def test_it_keeps_a_sub_account_federation_token_within_the_sub_account(cam: RunningServer) -> None:
    client = sts(cam, "AKIDPORTALFEDERATOR", "portal-federator-key")
    response = client.GetFederationToken(federation_request(policy=allow(["name/cos:*"], ["*"])))

    principal = cam.app.credentials.lookup(response.Credentials.TmpSecretId)
    assert principal is not None
    assert [json.loads(p) for p in principal.policies] == [
        SUBACCOUNTS["AKIDPORTALFEDERATOR"][1],
        allow(["name/cos:*"], ["*"]),
    ]
    denied = error_code(
        lambda: sts(cam, "AKIDPORTALASSUMER", "portal-assumer-key").GetFederationToken(federation_request())
    )
    assert denied.code == "AuthFailure.UnauthorizedOperation"


@pytest.mark.parametrize(
    ("role_arn", "code"),
    [
        (f"qcs::cam::uin/{UIN}:roleName/nobody", "ResourceNotFound.RoleNotFound"),
        ("qcs::cam::uin/999999999999:roleName/uploader", "ResourceNotFound.RoleNotFound"),
        (f"qcs::cam::uin/{UIN}:role/4611686018427397919", "ResourceNotFound.RoleNotFound"),
        ("uploader", "InvalidParameter.ParamError"),
        (None, "MissingParameter"),
    ],
)
def test_it_checks_the_role_arn(cam: RunningServer, role_arn: str | None, code: str) -> None:
    error = error_code(lambda: assume(cam, role_arn=role_arn))  # type: ignore[arg-type]

    assert error.code == code


@pytest.mark.parametrize(
    ("session", "code"),
    [(None, "MissingParameter"), ("a", "InvalidParameter.ParamError"), ("alice smith", "InvalidParameter.ParamError")],
)
def test_it_checks_the_session_name(cam: RunningServer, session: str | None, code: str) -> None:
    assert error_code(lambda: assume(cam, session=session)).code == code


def test_it_checks_the_session_policy(cam: RunningServer) -> None:
    bad = {"version": "2.0", "statement": [{"effect": "allow", "action": ["*"], "principal": {"qcs": ["*"]}}]}

    assert error_code(lambda: assume(cam, policy=bad)).code == "InvalidParameter.StrategyFormatError"


def test_it_counts_assume_role_calls(cam: RunningServer) -> None:
    before = cam.app.stats.snapshot().get("sts:AssumeRole", 0)
    assume(cam)

    assert cam.app.stats.snapshot()["sts:AssumeRole"] == before + 1


def test_it_loads_roles_and_sub_accounts_from_a_roles_file(tmp_path: Path) -> None:
    roles_file = tmp_path / "roles.json"
    roles_file.write_text(
        json.dumps(
            {
                "roles": {"uploader": ROLES["uploader"]},
                "subaccounts": {
                    "AKIDPORTALASSUMER": {
                        "secret_key": "portal-assumer-key",
                        "policy": SUBACCOUNTS["AKIDPORTALASSUMER"][1],
                    }
                },
            }
        )
    )
    server = start_in_thread(Config.from_env(roles_file=roles_file, data_dir=tmp_path / "data"))
    try:
        response = assume(server, key=("AKIDPORTALASSUMER", "portal-assumer-key"))
    finally:
        server.stop()

    assert response.Credentials.TmpSecretId


def test_it_reads_roles_kept_with_the_data(tmp_path: Path) -> None:
    (tmp_path / "roles.json").write_text(json.dumps({"uploader": ROLES["uploader"]}))
    server = start_in_thread(Config.from_env(data_dir=tmp_path))
    try:
        response = assume(server)
    finally:
        server.stop()

    assert response.Credentials.TmpSecretId
