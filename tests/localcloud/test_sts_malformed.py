"""localcloud's STS answers malformed input with the real service's client errors, never InternalError.SystemError
(once crashes: '²' passes str.isdigit() but not int(); JSON nested deeper than the decoder recurses)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import requests

from localcloud.server import RunningServer
from tests.localcloud.test_sts import signed_post


def _code(response: requests.Response) -> str:
    assert response.status_code == 200
    return str(response.json()["Response"]["Error"]["Code"])


@pytest.mark.parametrize("timestamp", ["\u00b2", "9" * 5000, "1_700_000_000", "-1", "99999999999999999"])
def test_it_refuses_a_malformed_timestamp(localcloud: RunningServer, timestamp: str) -> None:
    response = signed_post(localcloud, b"{}")
    request = response.request
    headers = dict(request.headers) | {"X-TC-Timestamp": timestamp}
    answer = requests.post(localcloud.url + "/", data=request.body, headers=headers, timeout=10)
    assert _code(answer) in {"MissingParameter", "AuthFailure.SignatureExpire"}


def test_it_refuses_a_non_ascii_secret_id(localcloud: RunningServer) -> None:
    request = signed_post(localcloud, b"{}").request
    value = str(request.headers["Authorization"]).replace("Credential=", "Credential=AKID\u00e9", 1)
    headers = dict(request.headers) | {"Authorization": value.encode("utf-8")}
    answer = requests.post(localcloud.url + "/", data=request.body, headers=headers, timeout=10)
    assert _code(answer) == "AuthFailure.SecretIdNotFound"


def test_it_refuses_a_superscript_duration(localcloud: RunningServer) -> None:
    policy = quote(
        json.dumps({"version": "2.0", "statement": [{"effect": "allow", "action": ["*"], "resource": ["*"]}]})
    )
    body = json.dumps({"Name": "alice", "Policy": policy, "DurationSeconds": "\u00b2"}).encode()
    assert _code(signed_post(localcloud, body)) == "InvalidParameter.ParamError"


def test_it_refuses_json_nested_too_deeply(localcloud: RunningServer) -> None:
    assert _code(signed_post(localcloud, b"[" * 20000)) == "InvalidParameter"
    body = json.dumps({"Name": "alice", "Policy": "[" * 2000}).encode()
    assert _code(signed_post(localcloud, body)) == "InvalidParameter.StrategyFormatError"
