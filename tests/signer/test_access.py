"""Who gets what: isolation between users, and every refusal with its real status and the {code, message, codeDesc}
envelope (401, 403, 400, 405, 413, 415, 429)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from qcloud_cos.cos_exception import CosServiceError

from localcloud.server import RunningServer
from signer import audit
from signer.models import AccessPolicy, CloudAccount, IssuedCredential
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET, REGION, make_policy, make_token, make_user
from tests.signer.conftest import Api


def assert_error(response: requests.Response, status: int, code_desc: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "codeDesc"}
    assert body["code"] == status
    assert body["codeDesc"] == code_desc
    assert body["message"]
    return body


def test_it_keeps_alice_out_of_bobs_prefix(api: Api, alice_token: str, bob_token: str, cloud: RunningServer) -> None:
    bob = api.get("/sts", token=bob_token).json()["credentials"]
    bob_client = cos_client(cloud, bob["tmpSecretId"], bob["tmpSecretKey"], bob["sessionToken"])
    bob_client.put_object(Bucket=DEMO_BUCKET, Key="users/bob/private.txt", Body=b"bob's")

    alice = api.get("/sts", token=alice_token).json()["credentials"]
    assert alice["tmpSecretId"] != bob["tmpSecretId"]  # same policy template, different rendered policy
    alice_client = cos_client(cloud, alice["tmpSecretId"], alice["tmpSecretKey"], alice["sessionToken"])
    for attempt in (
        lambda: alice_client.get_object(Bucket=DEMO_BUCKET, Key="users/bob/private.txt"),
        lambda: alice_client.put_object(Bucket=DEMO_BUCKET, Key="users/bob/private.txt", Body=b"overwritten"),
        lambda: alice_client.delete_object(Bucket=DEMO_BUCKET, Key="users/bob/private.txt"),
        lambda: alice_client.list_objects(Bucket=DEMO_BUCKET, Prefix="users/bob/"),
    ):
        with pytest.raises(CosServiceError) as refused:
            attempt()
        assert refused.value.get_status_code() == 403

    # Nor can she ask the portal for credentials on bob's prefix.
    scope = {"action": "name/cos:GetObject", "bucket": DEMO_BUCKET, "region": REGION, "prefix": "users/bob/private.txt"}
    assert_error(api.post("/sign", token=alice_token, json={"scopes": [scope]}), 403, "ScopeNotAllowed")
    body = bob_client.get_object(Bucket=DEMO_BUCKET, Key="users/bob/private.txt")["Body"].get_raw_stream().read()
    assert body == b"bob's"


@pytest.mark.parametrize("path", ["/sign", "/sts"])
def test_it_refuses_anonymous_callers_with_401(api: Api, path: str, transactional_db: None) -> None:
    response = api.get(path)
    body = assert_error(response, 401, "NotAuthenticated")
    assert body["message"] == "Authentication credentials were not provided."
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert_error(api.post(path, json={}), 401, "NotAuthenticated")


def test_it_refuses_a_bad_token_with_401(api: Api, transactional_db: None) -> None:
    response = api.get("/sign", token="0" * 64)
    assert_error(response, 401, "AuthenticationFailed")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_it_refuses_a_user_without_a_policy_with_403(api: Api, transactional_db: None) -> None:
    charlie = make_user("charlie")
    body = assert_error(api.get("/sign", token=make_token(charlie)), 403, "NoPolicy")
    assert "no access policy" in body["message"]
    audit.drain()
    assert not IssuedCredential.objects.exists()


def test_it_refuses_malformed_json_with_400(api: Api, alice_token: str) -> None:
    response = api.post("/sign", token=alice_token, data=b'{"policy": ', headers={"Content-Type": "application/json"})
    body = assert_error(response, 400, "ParseError")
    assert "JSON parse error" in body["message"]
    not_an_object = api.post("/sign", token=alice_token, json=["policy"])
    assert_error(not_an_object, 400, "ValidationError")


def test_it_refuses_an_unknown_policy_with_403(api: Api, alice_token: str, account: CloudAccount) -> None:
    # Existing but not assigned to alice is as unknown as not existing: policy names cannot be probed.
    make_policy(account, name="bucket admin", preset="bucket admin")
    for name in ("no-such-policy", "bucket admin"):
        body = assert_error(api.get("/sign", token=alice_token, params={"policy": name}), 403, "UnknownPolicy")
        assert repr(name) in body["message"]
        assert_error(api.post("/sts", token=alice_token, json={"policy": name}), 403, "UnknownPolicy")


def test_it_serves_a_policy_by_name_and_the_highest_priority_by_default(
    api: Api, alice: Any, alice_token: str, account: CloudAccount, policy: AccessPolicy
) -> None:
    reader = make_policy(account, name="read own prefix", preset="read own prefix", priority=10, users=[alice])
    api.get("/sign", token=alice_token)
    api.get("/sign", token=alice_token, params={"policy": policy.name})
    # Spaces around the name are trimmed alike on GET and POST (DRF's CharField trims the body's).
    assert api.get("/sign", token=alice_token, params={"policy": f" {policy.name} "}).status_code == 200
    assert api.post("/sts", token=alice_token, json={"policy": f" {policy.name} "}).status_code == 200
    audit.drain()
    assert [row.policy_name for row in IssuedCredential.objects.order_by("created")] == [
        reader.name,
        policy.name,
        policy.name,
        policy.name,
    ]


def test_it_answers_405_415_and_413_in_the_envelope(api: Api, alice_token: str, settings: Any) -> None:
    assert_error(api.call("PUT", "/sign", token=alice_token, json={}), 405, "MethodNotAllowed")
    assert_error(api.get("/api/auth/login"), 405, "MethodNotAllowed")
    form = api.post("/sts", token=alice_token, data="policy=x", headers={"Content-Type": "text/plain"})
    assert_error(form, 415, "UnsupportedMediaType")
    settings.SIGNER_MAX_BODY = 1024
    huge = api.post("/sign", token=alice_token, json={"policy": "x" * 2000})
    body = assert_error(huge, 413, "RequestEntityTooLarge")
    assert "1024" in body["message"]
    assert_error(
        api.post("/api/auth/login", json={"username": "a" * 2000, "password": "x"}), 413, "RequestEntityTooLarge"
    )


def test_it_throttles_each_user_with_429_and_retry_after(
    api: Api, alice_token: str, bob_token: str, settings: Any
) -> None:
    settings.SIGNER_RATE = "3/min"
    assert [api.get("/sign", token=alice_token).status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/sts", token=alice_token)
    body = assert_error(response, 429, "Throttled")
    # At most the rest of this minute plus the third of the next it takes the 3 requests to weigh 2 (the sliding
    # window counts a previous window's requests until they have wholly slid out: signer/sliding_window.py).
    assert 1 <= int(response.headers["Retry-After"]) <= 80
    assert "throttled" in body["message"].lower()
    # Per user: bob is not slowed down by alice.
    assert api.get("/sign", token=bob_token).status_code == 200


def test_it_serves_anonymous_callers_the_named_policy_throttled_per_ip(
    api: Api, account: CloudAccount, bucket: str, cloud: RunningServer, settings: Any
) -> None:
    make_policy(account, name="public uploads", preset="upload to own prefix", bucket=bucket)
    settings.SIGNER_ANONYMOUS_POLICY = "public uploads"
    settings.SIGNER_ANON_RATE = "2/min"
    response = api.get("/sign")
    assert response.status_code == 200, response.text
    creds = response.json()["data"]["credentials"]
    client = cos_client(cloud, creds["tmpSecretId"], creds["tmpSecretKey"], creds["sessionToken"])
    client.put_object(Bucket=DEMO_BUCKET, Key="users/anonymous/drop.txt", Body=b"anon")
    with pytest.raises(CosServiceError):
        client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/drop.txt", Body=b"anon")
    audit.drain()
    row = IssuedCredential.objects.get()
    assert (row.user, row.username, row.policy_name) == (None, "anonymous", "public uploads")

    assert api.get("/sts").status_code == 200
    throttled = api.get("/sign")
    assert_error(throttled, 429, "Throttled")
    assert "Retry-After" in throttled.headers


def test_it_enforces_csrf_for_session_authenticated_posts(api: Api, alice: Any) -> None:
    session = requests.Session()
    # A page that sets the CSRF cookie, then alice's browser session (as after logging in to the demo).
    assert session.get(f"{api.base}/admin/login/", timeout=10).status_code == 200
    session.cookies.set("sessionid", _session_for(alice))
    assert session.get(f"{api.base}/sign", timeout=10).status_code == 200
    refused = session.post(f"{api.base}/sign", json={}, timeout=10)
    body = assert_error(refused, 403, "PermissionDenied")
    assert "CSRF" in body["message"]
    csrf = session.cookies.get("csrftoken")
    allowed = session.post(
        f"{api.base}/sign", json={}, headers={"X-CSRFToken": csrf, "Referer": f"{api.base}/"}, timeout=10
    )
    assert allowed.status_code == 200, allowed.text


def _session_for(user: Any) -> str:
    from importlib import import_module

    from django.conf import settings as django_settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    engine = import_module(django_settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return str(session.session_key)


def test_it_answers_cors_preflights_for_the_configured_origins_only(api: Api, alice_token: str, settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = api.call("OPTIONS", "/sts", headers={"Origin": "https://app.example.com", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    other = api.call("OPTIONS", "/sts", headers={"Origin": "https://evil.example.net", **preflight})
    assert "Access-Control-Allow-Origin" not in other.headers
    response = api.get("/sign", token=alice_token, headers={"Origin": "https://app.example.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    # The demo's pages are not part of the cross-origin API.
    assert (
        "Access-Control-Allow-Origin" not in api.get("/healthz", headers={"Origin": "https://app.example.com"}).headers
    )
