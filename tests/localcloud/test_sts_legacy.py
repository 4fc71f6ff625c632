"""qcloud-cos-sts-sdk (PyPI qcloud-python-sts, npm qcloud-cos-sts) against localcloud: the form-parameter signature.

Both SDKs are Tencent's own and unchanged; the Python one is pointed at localcloud with its `url` and `domain` options,
the Node one with `endpoint` (see tests/node/cos_sts.js for the one thing it cannot be told: http instead of https).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from qcloud_cos import CosS3Client
from sts.sts import Sts

from localcloud import signature_v1
from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Config
from localcloud.server import RunningServer, start_in_thread
from tests.cos_sdk import cos_client
from tests.localcloud.test_sts import Clock

REPO = Path(__file__).resolve().parents[2]
NODE_SCRIPT = REPO / "tests" / "node" / "cos_sts.js"
REGION = "ap-guangzhou"
BUCKET = "legacy-1250000000"
UIN = "100000000001"
ROLE_ARN = f"qcs::cam::uin/{UIN}:roleName/uploader"


def objects(prefix: str) -> str:
    return f"qcs::cos:{REGION}:uid/1250000000:{BUCKET}/{prefix}"


def allow(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"version": "2.0", "statement": [{"effect": "allow", "action": actions, "resource": resources}]}


UPLOAD = allow(["name/cos:PutObject", "name/cos:GetObject"], [objects("users/alice/*")])
ROLES = {"uploader": allow(["name/cos:PutObject", "name/cos:GetObject"], [objects("users/*")])}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_in_thread(Config(data_dir=tmp_path_factory.mktemp("legacy"), roles=ROLES))
    cos_client(running).create_bucket(Bucket=BUCKET)
    yield running
    running.stop()


def python_sdk(server: RunningServer, secret_key: str = DEFAULT_SECRET_KEY, **extra: Any) -> Sts:
    return Sts(
        {
            "secret_id": DEFAULT_SECRET_ID,
            "secret_key": secret_key,
            "region": REGION,
            "policy": UPLOAD,
            "duration_seconds": 900,
            "url": server.url + "/",
            "domain": f"{server.host}:{server.port}",
            **extra,
        }
    )


def node_sdk(server: RunningServer, action: str, secret_key: str = DEFAULT_SECRET_KEY, **extra: Any) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "node must be installed for the qcloud-cos-sts tests"
    options = {
        "action": action,
        "secretId": DEFAULT_SECRET_ID,
        "secretKey": secret_key,
        "region": REGION,
        "policy": UPLOAD,
        "durationSeconds": 900,
        "endpoint": f"{server.host}:{server.port}",
        **extra,
    }
    done = subprocess.run(
        [node, str(NODE_SCRIPT), json.dumps(options)], capture_output=True, text=True, timeout=60, cwd=REPO, check=True
    )
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def put_and_get(server: RunningServer, credentials: dict[str, Any], key: str) -> bytes:
    client: CosS3Client = cos_client(
        server, credentials["tmpSecretId"], credentials["tmpSecretKey"], credentials["sessionToken"], retry=0
    )
    client.put_object(Bucket=BUCKET, Key=key, Body=b"legacy")
    body: bytes = client.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read()
    return body


def test_it_issues_federation_tokens_to_the_python_sdk(server: RunningServer) -> None:
    answer = python_sdk(server).get_credential()

    assert answer["expiredTime"] - answer["startTime"] == 900
    assert put_and_get(server, answer["credentials"], "users/alice/py.txt") == b"legacy"


def test_it_issues_role_credentials_to_the_python_sdk(server: RunningServer) -> None:
    answer = python_sdk(server).get_role_credential(role_arn=ROLE_ARN)

    principal = server.app.credentials.lookup(answer["credentials"]["tmpSecretId"])
    assert principal is not None
    assert principal.name == "role:uploader/cos-sts-python"
    assert put_and_get(server, answer["credentials"], "users/alice/role.txt") == b"legacy"


def test_it_refuses_a_wrong_key_from_the_python_sdk(server: RunningServer) -> None:
    with pytest.raises(Exception, match=r"AuthFailure\.SignatureFailure"):
        python_sdk(server, secret_key="not-the-key").get_credential()


def test_it_refuses_an_unknown_role_to_the_python_sdk(server: RunningServer) -> None:
    with pytest.raises(Exception, match=r"ResourceNotFound\.RoleNotFound"):
        python_sdk(server).get_role_credential(role_arn=f"qcs::cam::uin/{UIN}:roleName/nobody")


def test_it_issues_federation_tokens_to_the_node_sdk(server: RunningServer) -> None:
    answer = node_sdk(server, "getCredential")["data"]

    assert answer["expiredTime"] - answer["startTime"] == 900
    assert put_and_get(server, answer["credentials"], "users/alice/node.txt") == b"legacy"


def test_it_issues_role_credentials_to_the_node_sdk(server: RunningServer) -> None:
    answer = node_sdk(server, "getRoleCredential", roleArn=ROLE_ARN)["data"]

    principal = server.app.credentials.lookup(answer["credentials"]["tmpSecretId"])
    assert principal is not None
    assert principal.name == "role:uploader/cos-sts-nodejs"
    assert put_and_get(server, answer["credentials"], "users/alice/node-role.txt") == b"legacy"


def test_it_refuses_a_wrong_key_from_the_node_sdk(server: RunningServer) -> None:
    error = node_sdk(server, "getCredential", secretKey="not-the-key")["error"]

    assert error["Code"] == "AuthFailure.SignatureFailure"
    assert error["RequestId"]


# --- the signature by hand: what both SDKs rely on, and what they cannot show -------------------------------------


def form(
    server: RunningServer, *, timestamp: int, nonce: int = 123456, method: str = "", **extra: str
) -> dict[str, str]:
    params = {
        "SecretId": DEFAULT_SECRET_ID,
        "Timestamp": str(timestamp),
        "Nonce": str(nonce),
        "Action": "GetFederationToken",
        "Version": "2018-08-13",
        "Region": REGION,
        "Name": "bob",
        "Policy": quote(json.dumps(UPLOAD)),
        **({"SignatureMethod": method} if method else {}),
        **extra,
    }
    text = signature_v1.string_to_sign("POST", f"{server.host}:{server.port}", params)
    params["Signature"] = signature_v1.sign(DEFAULT_SECRET_KEY, text, method or "HmacSHA1")
    return params


def answer_of(server: RunningServer, params: dict[str, str]) -> dict[str, Any]:
    response = requests.post(server.url + "/", data=params, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()["Response"]
    return body


def code_of(server: RunningServer, params: dict[str, str]) -> str:
    return str(answer_of(server, params).get("Error", {}).get("Code", "ok"))


def test_it_accepts_hmac_sha256(server: RunningServer) -> None:
    assert code_of(server, form(server, timestamp=int(time.time()), nonce=1, method="HmacSHA256")) == "ok"


def test_it_refuses_an_unknown_signature_method(server: RunningServer) -> None:
    params = form(server, timestamp=int(time.time()), nonce=2)
    params["SignatureMethod"] = "HmacMD5"
    assert code_of(server, params) == "InvalidParameter.SignatureMethod"


def test_it_refuses_a_changed_parameter(server: RunningServer) -> None:
    params = form(server, timestamp=int(time.time()), nonce=3)
    params["Name"] = "mallory"
    answer = answer_of(server, params)
    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert "Name=mallory" in answer["Error"]["Message"]  # it says what it signed, as Azurite does


def test_it_refuses_a_replayed_nonce(server: RunningServer) -> None:
    params = form(server, timestamp=int(time.time()), nonce=4)
    assert code_of(server, params) == "ok"
    assert code_of(server, params) == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("name", ["Nonce", "Timestamp", "SecretId", "Signature"])
def test_it_requires_the_common_parameters(server: RunningServer, name: str) -> None:
    params = form(server, timestamp=int(time.time()), nonce=5)
    del params[name]
    assert code_of(server, params) == "MissingParameter"


def test_it_refuses_a_nonce_that_is_not_a_number(server: RunningServer) -> None:
    params = form(server, timestamp=int(time.time()), nonce=6)
    params["Nonce"] = "abc"
    assert code_of(server, params) == "InvalidParameter"


def test_it_accepts_a_signed_get_query(server: RunningServer) -> None:
    params = form(server, timestamp=int(time.time()), nonce=7)
    del params["Signature"]
    text = signature_v1.string_to_sign("GET", f"{server.host}:{server.port}", params)
    params["Signature"] = signature_v1.sign(DEFAULT_SECRET_KEY, text)
    answer = requests.get(server.url + "/", params=params, timeout=10).json()["Response"]
    assert "Credentials" in answer


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clocked(tmp_path: Path, clock: Clock) -> Iterator[RunningServer]:
    running = start_in_thread(Config(data_dir=tmp_path / "clocked", clock=clock, sts_rate=3))
    yield running
    running.stop()


@pytest.mark.parametrize("offset", [-301, 301])
def test_it_refuses_timestamps_more_than_five_minutes_off(clocked: RunningServer, clock: Clock, offset: int) -> None:
    now = int(clock.now)
    clock.now = now + offset
    assert code_of(clocked, form(clocked, timestamp=now)) == "AuthFailure.SignatureExpire"
    clock.now = now + offset // abs(offset) * 300
    assert code_of(clocked, form(clocked, timestamp=now, nonce=8)) == "ok"


def test_it_limits_sts_calls_per_second(clocked: RunningServer, clock: Clock) -> None:
    now = int(clock.now)
    codes = [code_of(clocked, form(clocked, timestamp=now, nonce=100 + n)) for n in range(4)]
    assert codes == ["ok", "ok", "ok", "RequestLimitExceeded"]
    # The SDK's Node flavour reports it as STS answers it: HTTP 200, the JSON error.
    assert node_sdk(clocked, "getCredential")["error"]["Code"] == "RequestLimitExceeded"

    clock.now += 1.0  # a second after the first call, it has slid out of the window
    assert code_of(clocked, form(clocked, timestamp=now, nonce=200)) == "ok"
