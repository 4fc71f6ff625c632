"""localcloud's STS through the real tencentcloud-sdk-python-sts over real sockets: GetFederationToken and TC3."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
import time_machine
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sts.v20180813 import models, sts_client

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Config
from localcloud.server import RunningServer, start_in_thread
from qcloud import tc3

UPLOAD_POLICY = {
    "version": "2.0",
    "statement": [
        {
            "effect": "allow",
            "action": ["name/cos:PutObject"],
            "resource": ["qcs::cos:ap-guangzhou:uid/1250000000:photos-1250000000/users/alice/*"],
        }
    ],
}


def sts(
    server: RunningServer,
    secret_id: str = DEFAULT_SECRET_ID,
    secret_key: str = DEFAULT_SECRET_KEY,
    *,
    token: str | None = None,
    method: str = "POST",
) -> sts_client.StsClient:
    """The SDK pointed at localcloud: the only change from talking to sts.tencentcloudapi.com."""
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=f"{server.host}:{server.port}", protocol="http"))
    profile.httpProfile.reqMethod = method
    return sts_client.StsClient(credential.Credential(secret_id, secret_key, token), "ap-guangzhou", profile)


def federation_request(
    name: str | None = "alice", policy: Any = UPLOAD_POLICY, duration: int | None = None
) -> models.GetFederationTokenRequest:
    request = models.GetFederationTokenRequest()
    request.Name = name
    request.Policy = quote(json.dumps(policy)) if isinstance(policy, dict) else policy
    request.DurationSeconds = duration
    return request


def error_code(call: Callable[[], object]) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    return caught.value


class Clock:
    """An injected clock for a localcloud whose time the test moves (the client keeps the real one)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clocked(tmp_path: Path, clock: Clock) -> Iterator[RunningServer]:
    server = start_in_thread(Config(data_dir=tmp_path / "clocked", clock=clock))
    yield server
    server.stop()


def signed_post(
    server: RunningServer, body: bytes, *, action: str = "GetFederationToken", content_type: str = "application/json"
) -> requests.Response:
    """A hand-made TC3 request (what the SDK sends), to look at the raw HTTP answer."""
    timestamp = int(time.time())
    host = f"{server.host}:{server.port}"
    headers = {"Content-Type": content_type, "Host": host}
    canonical = tc3.canonical_request("POST", "/", "", headers, ["content-type", "host"], body)
    headers |= {
        "Authorization": tc3.authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, timestamp, "sts", canonical),
        "X-TC-Action": action,
        "X-TC-Version": "2018-08-13",
        "X-TC-Region": "ap-guangzhou",
        "X-TC-Timestamp": str(timestamp),
    }
    return requests.post(server.url + "/", data=body, headers=headers, timeout=10)


def test_it_issues_federation_tokens(localcloud: RunningServer) -> None:
    before = int(time.time())
    response = sts(localcloud).GetFederationToken(federation_request())

    assert response.Credentials.TmpSecretId.startswith("AKID")
    assert response.Credentials.TmpSecretKey
    assert response.Credentials.Token
    assert before + 1800 <= response.ExpiredTime <= int(time.time()) + 1800
    expiration = datetime.fromtimestamp(response.ExpiredTime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert response.Expiration == expiration
    assert uuid.UUID(response.RequestId)

    principal = localcloud.app.credentials.lookup(response.Credentials.TmpSecretId)
    assert principal is not None
    assert principal.token == response.Credentials.Token
    assert principal.secret_key == response.Credentials.TmpSecretKey
    assert [json.loads(p) for p in principal.policies] == [UPLOAD_POLICY]
    assert not principal.is_root


def test_it_answers_200_with_exactly_application_json(localcloud: RunningServer) -> None:
    body = json.dumps({"Name": "alice", "Policy": quote(json.dumps(UPLOAD_POLICY))}).encode()
    ok = signed_post(localcloud, body)
    assert ok.status_code == 200
    assert ok.headers["Content-Type"] == "application/json"
    assert set(ok.json()["Response"]) == {"Credentials", "ExpiredTime", "Expiration", "RequestId"}
    assert set(ok.json()["Response"]["Credentials"]) == {"Token", "TmpSecretId", "TmpSecretKey"}

    failed = signed_post(localcloud, json.dumps({"Policy": "{}"}).encode())
    assert failed.status_code == 200
    assert failed.headers["Content-Type"] == "application/json"
    assert failed.json()["Response"]["Error"]["Code"] == "MissingParameter"
    assert set(failed.json()["Response"]) == {"Error", "RequestId"}


def test_it_accepts_get_requests(localcloud: RunningServer) -> None:
    response = sts(localcloud, method="GET").GetFederationToken(federation_request())

    principal = localcloud.app.credentials.lookup(response.Credentials.TmpSecretId)
    assert principal is not None
    assert [json.loads(p) for p in principal.policies] == [UPLOAD_POLICY]


def test_it_rejects_a_wrong_secret_key_and_says_what_it_signed(localcloud: RunningServer) -> None:
    error = error_code(lambda: sts(localcloud, secret_key="not-the-key").GetFederationToken(federation_request()))

    assert error.code == "AuthFailure.SignatureFailure"
    assert f"host:{localcloud.host}:{localcloud.port}\n" in error.message
    assert "content-type:application/json\n" in error.message
    assert "TC3-HMAC-SHA256\n" in error.message
    assert DEFAULT_SECRET_KEY not in error.message
    assert error.requestId


def test_it_rejects_a_tampered_body(localcloud: RunningServer) -> None:
    timestamp = int(time.time())
    host = f"{localcloud.host}:{localcloud.port}"
    signed_body = json.dumps({"Name": "alice", "Policy": quote(json.dumps(UPLOAD_POLICY))}).encode()
    headers = {"Content-Type": "application/json", "Host": host}
    canonical = tc3.canonical_request("POST", "/", "", headers, ["content-type", "host"], signed_body)
    headers |= {
        "Authorization": tc3.authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, timestamp, "sts", canonical),
        "X-TC-Action": "GetFederationToken",
        "X-TC-Version": "2018-08-13",
        "X-TC-Region": "ap-guangzhou",
        "X-TC-Timestamp": str(timestamp),
    }
    sent_body = signed_body.replace(b"alice", b"bob")
    answer = requests.post(localcloud.url + "/", data=sent_body, headers=headers, timeout=10).json()["Response"]

    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert hashlib.sha256(sent_body).hexdigest() in answer["Error"]["Message"]


def test_it_rejects_an_unknown_secret_id(localcloud: RunningServer) -> None:
    error = error_code(lambda: sts(localcloud, secret_id="AKIDNOBODY").GetFederationToken(federation_request()))

    assert error.code == "AuthFailure.SecretIdNotFound"


def test_it_rejects_timestamps_more_than_five_minutes_off(clocked: RunningServer, clock: Clock) -> None:
    client = sts(clocked)
    with time_machine.travel(clock.now + 301, tick=False):
        ahead = error_code(lambda: client.GetFederationToken(federation_request()))
    with time_machine.travel(clock.now - 301, tick=False):
        behind = error_code(lambda: client.GetFederationToken(federation_request()))
    with time_machine.travel(clock.now + 290, tick=False):
        within = client.GetFederationToken(federation_request())

    assert ahead.code == behind.code == "AuthFailure.SignatureExpire"
    assert "300 seconds" in ahead.message
    assert within.Credentials.TmpSecretId


@pytest.mark.parametrize(
    ("policy", "code"),
    [
        ("%7Bnot json", "InvalidParameter.StrategyFormatError"),
        (quote(json.dumps(["not", "an", "object"])), "InvalidParameter.StrategyFormatError"),
        (
            {"version": "2.0", "statement": [{**UPLOAD_POLICY["statement"][0], "principal": {"qcs": ["*"]}}]},
            "InvalidParameter.StrategyFormatError",
        ),
        (
            {"version": "2.0", "statement": [{"effect": "maybe", "action": ["*"], "resource": ["*"]}]},
            "InvalidParameter.StrategyFormatError",
        ),
        (
            {
                "version": "2.0",
                "statement": [{**UPLOAD_POLICY["statement"][0], "resource": [f"res{i}" for i in range(200)]}],
            },
            "InvalidParameter.PolicyTooLong",
        ),
        (None, "MissingParameter"),
    ],
    ids=["not-json", "not-an-object", "principal", "bad-effect", "too-long", "missing"],
)
def test_it_checks_the_policy(localcloud: RunningServer, policy: Any, code: str) -> None:
    error = error_code(lambda: sts(localcloud).GetFederationToken(federation_request(policy=policy)))

    assert error.code == code


def test_it_names_the_statement_of_a_malformed_policy(localcloud: RunningServer) -> None:
    policy = {"version": "2.0", "statement": [UPLOAD_POLICY["statement"][0], {"effect": "allow", "resource": ["*"]}]}
    error = error_code(lambda: sts(localcloud).GetFederationToken(federation_request(policy=policy)))

    assert error.code == "InvalidParameter.StrategyFormatError"
    assert "statement 2" in error.message


@pytest.mark.parametrize(
    ("duration", "code"),
    [(0, "InvalidParameter.ParamError"), (-5, "InvalidParameter.ParamError"), (7201, "InvalidParameter.OverTimeError")],
)
def test_it_checks_the_duration(localcloud: RunningServer, duration: int, code: str) -> None:
    error = error_code(lambda: sts(localcloud).GetFederationToken(federation_request(duration=duration)))

    assert error.code == code


def test_it_issues_credentials_for_the_duration_asked(localcloud: RunningServer) -> None:
    response = sts(localcloud).GetFederationToken(federation_request(duration=7200))

    assert abs(response.ExpiredTime - (time.time() + 7200)) < 5


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (None, "MissingParameter"),
        ("a", "InvalidParameter.ParamError"),
        ("alice bob", "InvalidParameter.ParamError"),
        ("x" * 33, "InvalidParameter.ParamError"),
    ],
)
def test_it_checks_the_name(localcloud: RunningServer, name: str | None, code: str) -> None:
    error = error_code(lambda: sts(localcloud).GetFederationToken(federation_request(name=name)))

    assert error.code == code


def test_it_refuses_temporary_keys_for_federation_tokens(localcloud: RunningServer) -> None:
    issued = sts(localcloud).GetFederationToken(federation_request()).Credentials
    client = sts(localcloud, issued.TmpSecretId, issued.TmpSecretKey, token=issued.Token)

    error = error_code(lambda: client.GetFederationToken(federation_request()))

    assert error.code == "FailedOperation.TempKeyNotAllowed"


def test_it_requires_the_session_token_of_temporary_keys(localcloud: RunningServer) -> None:
    issued = sts(localcloud).GetFederationToken(federation_request()).Credentials
    client = sts(localcloud, issued.TmpSecretId, issued.TmpSecretKey, token="forged-token")

    error = error_code(lambda: client.GetFederationToken(federation_request()))

    assert error.code == "AuthFailure.TokenFailure"
    assert issued.Token not in error.message


def _common(server: RunningServer, version: str = "2018-08-13") -> CommonClient:
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=f"{server.host}:{server.port}", protocol="http"))
    cred = credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    return CommonClient("sts", version, cred, "ap-guangzhou", profile=profile)


def test_it_answers_invalid_action_for_what_it_does_not_emulate(localcloud: RunningServer) -> None:
    error = error_code(lambda: _common(localcloud).call_json("AssumeRoleWithSAML", {}))

    assert error.code == "InvalidAction"


def test_it_answers_no_such_version_for_other_versions(localcloud: RunningServer) -> None:
    error = error_code(lambda: _common(localcloud, "2017-03-12").call_json("GetFederationToken", {}))

    assert error.code == "NoSuchVersion"


def test_it_rejects_unknown_parameters(localcloud: RunningServer) -> None:
    params = {"Name": "alice", "Policy": quote(json.dumps(UPLOAD_POLICY)), "Sudo": True}
    error = error_code(lambda: _common(localcloud).call_json("GetFederationToken", params))

    assert error.code == "UnknownParameter"


def test_it_counts_calls(localcloud: RunningServer) -> None:
    before = localcloud.app.stats.snapshot()
    sts(localcloud).GetFederationToken(federation_request())
    error_code(lambda: sts(localcloud, secret_key="wrong").GetFederationToken(federation_request()))

    counts = requests.get(localcloud.url + "/_localcloud/stats", timeout=10).json()["counts"]
    assert counts["sts:calls"] - before.get("sts:calls", 0) == 2
    assert counts["sts:GetFederationToken"] - before.get("sts:GetFederationToken", 0) == 2


def test_it_keeps_credentials_valid_across_a_restart(tmp_path: Path) -> None:
    chaining = {
        "version": "2.0",
        "statement": [{"effect": "allow", "action": ["name/sts:AssumeRole"], "resource": ["*"]}],
    }
    roles = {"reader": {"version": "2.0", "statement": [{"effect": "allow", "action": ["*"], "resource": ["*"]}]}}
    first = start_in_thread(Config(data_dir=tmp_path, roles=roles))
    issued = sts(first).GetFederationToken(federation_request(policy=chaining)).Credentials
    first.stop()

    second = start_in_thread(Config(data_dir=tmp_path, roles=roles))
    try:
        request = models.AssumeRoleRequest()
        request.RoleArn = "qcs::cam::uin/100000000001:roleName/reader"
        request.RoleSessionName = "alice"
        client = sts(second, issued.TmpSecretId, issued.TmpSecretKey, token=issued.Token)
        assumed = client.AssumeRole(request)
    finally:
        second.stop()

    assert assumed.Credentials.TmpSecretId != issued.TmpSecretId


def test_it_refuses_expired_temporary_keys(clocked: RunningServer, clock: Clock) -> None:
    chaining = {
        "version": "2.0",
        "statement": [{"effect": "allow", "action": ["name/sts:AssumeRole"], "resource": ["*"]}],
    }
    issued = sts(clocked).GetFederationToken(federation_request(policy=chaining, duration=60)).Credentials
    client = sts(clocked, issued.TmpSecretId, issued.TmpSecretKey, token=issued.Token)
    request = models.AssumeRoleRequest()
    request.RoleArn = "qcs::cam::uin/100000000001:roleName/none"
    request.RoleSessionName = "alice"

    assert error_code(lambda: client.AssumeRole(request)).code == "ResourceNotFound.RoleNotFound"  # still valid
    clock.now += 61
    with time_machine.travel(clock.now, tick=False):
        expired = error_code(lambda: client.AssumeRole(request))

    assert expired.code == "AuthFailure.TokenFailure"


def test_it_accepts_unsigned_payloads(localcloud: RunningServer) -> None:
    client = sts(localcloud)
    client.profile.unsignedPayload = True

    response = client.GetFederationToken(federation_request())

    assert response.Credentials.TmpSecretId


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "HMAC-SHA1 Credential=x",
        f"TC3-HMAC-SHA256 Credential={DEFAULT_SECRET_ID}/2026-01-01/sts/tc3_request, SignedHeaders=host, Signature="
        + "0" * 64,
    ],
    ids=["missing", "other-algorithm", "content-type-unsigned"],
)
def test_it_rejects_malformed_authorization(localcloud: RunningServer, authorization: str) -> None:
    headers = {
        "Content-Type": "application/json",
        "Authorization": authorization,
        "X-TC-Action": "GetFederationToken",
        "X-TC-Version": "2018-08-13",
        "X-TC-Region": "ap-guangzhou",
        "X-TC-Timestamp": str(int(time.time())),
    }
    answer = requests.post(localcloud.url + "/", data=b"{}", headers=headers, timeout=10)

    assert answer.status_code == 200
    assert answer.json()["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"


def test_it_accepts_form_encoded_bodies(localcloud: RunningServer) -> None:
    body = urlencode({"Name": "alice", "Policy": quote(json.dumps(UPLOAD_POLICY)), "DurationSeconds": "900"})
    answer = signed_post(localcloud, body.encode(), content_type="application/x-www-form-urlencoded").json()

    assert "Error" not in answer["Response"]
    principal = localcloud.app.credentials.lookup(answer["Response"]["Credentials"]["TmpSecretId"])
    assert principal is not None
    assert [json.loads(p) for p in principal.policies] == [UPLOAD_POLICY]
    assert abs(answer["Response"]["ExpiredTime"] - (time.time() + 900)) < 5
