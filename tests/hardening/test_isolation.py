"""Bob cannot see or act on alice's things — through every route, through the API, and at the storage.

What tests/demo/test_isolation.py and tests/signer/test_access.py already prove (pages, plain get/put/delete/list at
the storage, a scoped /sts for alice's prefix) is not repeated; here:
- a guard that every route of the demo and the signer is named in an isolation test (a new page must add one), and
  that every test it names exists,
- every multipart operation at the storage with bob's credentials on alice's upload (Initiate, UploadPart into her
  upload, ListParts, Complete, Abort, ListMultipartUploads of her prefix) and HEAD / ranged GET,
- scope tricks: `..`, partial prefixes (`users/ali`), neighbours (`users/bobby/`), wildcards in the requested
  prefix — and what the credentials they yield can reach,
- the signer's other endpoints: alice's private policy name, and logout touching only the caller's token.
"""

from __future__ import annotations

import ast
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from qcloud.cos_signature import make_authorization
from signer.models import AccessPolicy, CloudAccount
from tests.api import Api
from tests.factories import DEMO_BUCKET, REGION, make_policy, make_token
from tests.hardening.conftest import ROOT_DIR, assert_envelope
from tests.net import loopback_get

HERE = "tests/hardening/test_isolation.py"
DEMO = "tests/demo/test_isolation.py"
HOSTILE = "tests/hardening/test_portal_hostile.py"
# Every named route of the demo and the signer -> the tests that prove bob cannot use it on alice's things. Each must
# exist (test_it_names_only_tests_that_exist): a renamed test must not leave a route guarded by nothing.
ISOLATION_TESTS = {
    "demo:regions": [f"{DEMO}::test_it_leaves_her_private_bucket_out_of_his_region_counts"],
    "demo:buckets": [f"{DEMO}::test_it_leaves_her_private_bucket_out_of_his_bucket_list"],
    "demo:objects": [
        f"{DEMO}::test_it_refuses_him_her_bucket_and_her_folder",
        f"{HERE}::test_it_lists_nothing_of_alice_through_prefix_probes",
    ],
    "demo:download": [
        f"{DEMO}::test_it_refuses_him_downloads_of_her_files",
        f"{HERE}::test_it_refuses_bob_every_page_action_on_alices_key",
    ],
    "demo:delete": [
        f"{DEMO}::test_it_refuses_him_deleting_her_files",
        f"{HERE}::test_it_refuses_bob_every_page_action_on_alices_key",
    ],
    "demo:preview": [f"{DEMO}::test_it_refuses_him_her_files_pages_previews_and_share_links"],
    "demo:preview-file": [f"{DEMO}::test_it_refuses_him_her_files_pages_previews_and_share_links"],
    "demo:bucket-details": [f"{DEMO}::test_it_refuses_him_her_private_buckets_details_and_its_deletion"],
    "demo:bucket-delete": [f"{DEMO}::test_it_refuses_him_her_private_buckets_details_and_its_deletion"],
    "demo:policy-choose": [f"{DEMO}::test_it_does_not_let_him_choose_her_policy_for_his_pages"],
    "demo:access": [f"{DEMO}::test_it_hides_her_tokens_and_policies_from_him"],
    "demo:token-create": [f"{HERE}::test_it_creates_tokens_only_for_the_signed_in_user"],
    "demo:token-revoke": ["tests/demo/test_access.py::test_it_does_not_let_bob_revoke_alices_token"],
    "signer:sign": [f"{HERE}::test_it_refuses_bob_alices_private_policy_by_name"],
    "signer:sts": [
        "tests/signer/test_access.py::test_it_keeps_alice_out_of_bobs_prefix",
        f"{DEMO}::test_it_refuses_him_upload_credentials_for_her_prefix",
        f"{HERE}::test_it_refuses_scope_tricks_for_alices_prefix",
    ],
    "signer:login-api": [f"{HERE}::test_it_logs_out_only_the_callers_token"],
    "signer:logout-api": [f"{HERE}::test_it_logs_out_only_the_callers_token"],
    "login": [
        "tests/demo/test_auth.py::test_it_logs_in_and_shows_the_user_and_the_mode",
        f"{HOSTILE}::test_it_slows_password_guessing_through_the_sign_in_page",
    ],
    "logout": [f"{HOSTILE}::test_it_does_not_let_a_session_logout_happen_cross_site"],
}


def _names(patterns: list[Any], namespace: str = "") -> set[str]:
    found: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in {"admin"}:
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.add(f"{namespace}{pattern.name}")
    return found


def _tests_in(path: Path) -> set[str]:
    """The test functions a file defines (top level, or `Class::method`), as pytest names them without parameters."""
    tree = ast.parse(path.read_text())
    found = {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            found |= {
                f"{node.name}::{inner.name}"
                for inner in node.body
                if isinstance(inner, ast.FunctionDef) and inner.name.startswith("test_")
            }
    return found


def test_it_names_an_isolation_test_for_every_route() -> None:
    routes = {name for name in _names(get_resolver().url_patterns) if name.startswith(("demo:", "signer:"))}
    routes |= {"login", "logout"}
    assert routes == set(ISOLATION_TESTS), f"routes without an isolation test: {routes - set(ISOLATION_TESTS)}"
    assert all(ISOLATION_TESTS.values())


def test_it_names_only_tests_that_exist() -> None:
    missing = []
    for node_ids in ISOLATION_TESTS.values():
        for node_id in node_ids:
            path, _, name = node_id.partition("::")
            file = ROOT_DIR / path
            if not file.is_file() or name not in _tests_in(file):
                missing.append(node_id)
    assert missing == []


# ------------------------------------------------------------------------------------------------------ storage


class Cos:
    """Raw signed requests to localcloud with temporary credentials, as any SDK sends them (path style)."""

    def __init__(self, server: RunningServer, creds: dict[str, str] | None) -> None:
        self.server = server
        self.creds = creds

    def __call__(
        self, method: str, key: str, params: dict[str, str] | None = None, body: bytes = b"", **headers: str
    ) -> requests.Response:
        params = params or {}
        if self.creds is None:
            secret_id, secret_key, token = DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, None
        else:
            secret_id, secret_key = self.creds["tmpSecretId"], self.creds["tmpSecretKey"]
            token = self.creds["sessionToken"]
        host = {"host": f"{DEMO_BUCKET}.cos.{REGION}.localhost"}  # path style signs its bucket's virtual host
        sent = {"Authorization": make_authorization(secret_id, secret_key, method, key, params, host), **headers}
        if token:
            sent["x-cos-security-token"] = token
        # Dot segments percent-encoded, so the HTTP client does not resolve them (COS keys are names, not paths).
        path = "/".join("%2E" * len(part) if part in {".", ".."} else quote(part) for part in key.split("/"))
        url = f"{self.server.url}/cos/{REGION}/{DEMO_BUCKET}/{path}"
        if params:
            url += "?" + urlencode(params, quote_via=quote)
        return requests.request(method, url, data=body, headers=sent, timeout=30)


def _creds(api: Api, token: str, scopes: list[dict[str, str]] | None = None) -> dict[str, str]:
    response = api.post("/sts", token=token, json={"scopes": scopes} if scopes else {})
    assert response.status_code == 200, response.text
    creds: dict[str, str] = response.json()["credentials"]
    return creds


def _upload_id(answer: requests.Response) -> str:
    match = re.search(r"<UploadId>([^<]+)</UploadId>", answer.text)
    assert match, answer.text
    return match.group(1)


def test_it_refuses_bob_every_multipart_operation_on_alices_upload(
    api: Api, alice_token: str, bob_token: str, cloud: RunningServer, bucket: str
) -> None:
    alice = Cos(cloud, _creds(api, alice_token))
    bob = Cos(cloud, _creds(api, bob_token))
    root = Cos(cloud, None)
    key = "users/alice/multipart/holiday.mov"
    started = alice("POST", key, {"uploads": ""})
    assert started.status_code == 200, started.text
    upload_id = _upload_id(started)
    assert alice("PUT", key, {"partNumber": "1", "uploadId": upload_id}, b"A" * 1024).status_code == 200
    attempts = {
        "InitiateMultipartUpload": bob("POST", key, {"uploads": ""}),
        "UploadPart into her upload": bob("PUT", key, {"partNumber": "2", "uploadId": upload_id}, b"B" * 1024),
        "ListParts": bob("GET", key, {"uploadId": upload_id}),
        "AbortMultipartUpload": bob("DELETE", key, {"uploadId": upload_id}),
        "ListMultipartUploads of her prefix": bob("GET", "", {"uploads": "", "prefix": "users/alice/"}),
        "ListMultipartUploads of everyone": bob("GET", "", {"uploads": "", "prefix": "users/"}),
        "ListMultipartUploads unprefixed": bob("GET", "", {"uploads": ""}),
    }
    for name, answer in attempts.items():
        assert answer.status_code == 403, (name, answer.status_code, answer.text[:300])
        assert "<Code>AccessDenied</Code>" in answer.text, name
        assert upload_id not in answer.text, name

    # Her upload is untouched: one part, still in progress, and can be aborted by her.
    parts = root("GET", key, {"uploadId": upload_id})
    assert parts.status_code == 200
    assert parts.text.count("<Part>") == 1
    assert "users/alice/multipart/holiday.mov" in root("GET", "", {"uploads": "", "prefix": "users/alice/"}).text
    assert alice("DELETE", key, {"uploadId": upload_id}).status_code == 204


def test_it_refuses_bob_head_ranged_and_conditional_reads_of_alices_object(
    api: Api, alice_token: str, bob_token: str, cloud: RunningServer, bucket: str
) -> None:
    key = "users/alice/secret.txt"
    assert Cos(cloud, _creds(api, alice_token))("PUT", key, body=b"the secret").status_code == 200
    bob = Cos(cloud, _creds(api, bob_token))
    for answer in (
        bob("HEAD", key),
        bob("GET", key, Range="bytes=0-3"),
        bob("GET", key, Range="bytes=-1"),
        bob("GET", key, {"response-content-type": "text/html"}),
        bob("GET", "", {"prefix": "users/alice/"}),
        bob("GET", "", {"prefix": "users/", "delimiter": "/"}),
        bob("GET", "", {"prefix": "", "marker": "users/alice/"}),
    ):
        assert answer.status_code == 403, answer.text[:300]
        assert b"the secret" not in answer.content


# --------------------------------------------------------------------------------------------------- scope tricks


def _scope(action: str, prefix: str) -> dict[str, str]:
    return {"action": f"name/cos:{action}", "bucket": DEMO_BUCKET, "region": REGION, "prefix": prefix}


@pytest.mark.parametrize(
    "prefix",
    [
        "users/alice/secret.txt",
        "users/alice/",
        "users/alice",
        "users/ali",
        "users/",
        "users/*",
        "users/alice/*",
        "*",
        "users/bobby/x",
        "users/bob",
        "Users/bob/x",
        "/users/bob/x",
    ],
)
def test_it_refuses_scope_tricks_for_alices_prefix(api: Api, bob_token: str, prefix: str) -> None:
    for action in ("GetObject", "PutObject", "DeleteObject", "GetBucket", "ListMultipartUploads"):
        response = api.post("/sts", token=bob_token, json={"scopes": [_scope(action, prefix)]})
        assert_envelope(response, 403, "ScopeNotAllowed")


@pytest.mark.parametrize("prefix", ["users/bob/../alice/secret.txt", "users/bob/%2e%2e/alice/secret.txt"])
def test_it_keeps_dot_dot_scopes_inside_bobs_prefix_at_the_storage(
    api: Api, alice_token: str, bob_token: str, cloud: RunningServer, bucket: str, prefix: str
) -> None:
    """`*` in users/bob/* matches `..`: the signer may grant it, but COS keys are names, so it reaches nothing else."""
    alice = Cos(cloud, _creds(api, alice_token))
    assert alice("PUT", "users/alice/secret.txt", body=b"hers").status_code == 200
    response = api.post("/sts", token=bob_token, json={"scopes": [_scope("PutObject", prefix)]})
    if response.status_code == 403:
        assert_envelope(response, 403, "ScopeNotAllowed")
        return
    assert response.status_code == 200, response.text
    bob = Cos(cloud, response.json()["credentials"])
    assert bob("PUT", "users/alice/secret.txt", body=b"overwritten").status_code == 403
    landed = bob("PUT", prefix, body=b"bob's")
    assert landed.status_code == 200, landed.text
    assert Cos(cloud, None)("GET", "users/alice/secret.txt").content == b"hers"
    assert Cos(cloud, None)("GET", prefix).content == b"bob's"  # a literal key of that name


def test_it_refuses_bob_alices_private_policy_by_name(
    api: Api, account: CloudAccount, alice: Any, bob_token: str, bucket: str
) -> None:
    make_policy(account, name="alice only", preset="read whole bucket", users=[alice])
    for response in (
        api.get("/sign", token=bob_token, params={"policy": "alice only"}),
        api.get("/sts", token=bob_token, params={"policy": "alice only"}),
        api.post("/sign", token=bob_token, json={"policy": "alice only"}),
    ):
        body = assert_envelope(response, 403, "UnknownPolicy")
        assert "read whole bucket" not in body["message"]


def test_it_logs_out_only_the_callers_token(api: Api, alice_token: str, bob_token: str) -> None:
    assert api.post("/api/auth/logout", token=bob_token).status_code == 204
    assert api.get("/sts", token=alice_token).status_code == 200
    # Bob presenting alice's token in the body or a second header changes nothing: the header decides.
    api.post("/api/auth/logout", token=make_token_for_bob(api), json={"token": alice_token})
    assert api.get("/sts", token=alice_token).status_code == 200


def make_token_for_bob(api: Api) -> str:
    from tests.factories import PASSWORD

    response = api.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


# ------------------------------------------------------------------------------------------------------ the pages


def test_it_lists_nothing_of_alice_through_prefix_probes(
    alice: Any, bob: Any, cloud: RunningServer, bucket: str
) -> None:
    name = f"diary-{secrets.token_hex(4)}.txt"  # the session's localcloud holds other tests' files
    Cos(cloud, None)("PUT", f"users/alice/probe/{name}", body=b"dear diary")
    browser = Client()
    browser.force_login(bob)
    for prefix in ("users/alice/", "users/ali", "users/", "", "users/alice/probe/", "users/bob/../alice/"):
        response = browser.get(f"/buckets/{REGION}/{DEMO_BUCKET}/", {"prefix": prefix})
        assert name.encode() not in response.content, prefix
        assert response.status_code in {200, 403, 404}, (prefix, response.status_code)
        if prefix.startswith("users/a"):
            assert response.status_code in {403, 404}, prefix
    marker = browser.get(f"/buckets/{REGION}/{DEMO_BUCKET}/", {"prefix": "users/bob/", "marker": "users/alice/"})
    assert name.encode() not in marker.content


def test_it_refuses_bob_every_page_action_on_alices_key(
    alice: Any, bob: Any, cloud: RunningServer, bucket: str
) -> None:
    key = "users/alice/pages/diary.txt"
    root = Cos(cloud, None)
    root("PUT", key, body=b"dear diary")
    browser = Client()
    browser.force_login(bob)
    base = f"/buckets/{REGION}/{DEMO_BUCKET}"
    for response in (
        browser.get(f"{base}/download/", {"key": key}),
        browser.get(f"{base}/download/", {"key": key, "inline": "1"}),
        browser.get(f"{base}/delete/", {"key": key}),
        browser.post(f"{base}/delete/", {"key": key}),
    ):
        assert response.status_code in {403, 404}, response.status_code
        assert "Location" not in response  # no presigned link handed out
    # `users/bob/*` matches `users/bob/../alice/...`: the link may be handed out, but for that literal name. The SDK
    # writes it as `..%2Falice`, which no client resolves as a dot segment: it names that (missing) literal key, and
    # a client that did resolve it would reach alice's key with a signature that does not match.
    dotted = browser.get(f"{base}/download/", {"key": "users/bob/../alice/pages/diary.txt"})
    if dotted.status_code == 302:
        followed = loopback_get(dotted["Location"], timeout=30)
        assert followed.status_code in {403, 404}, followed.status_code
        assert b"dear diary" not in followed.content
    else:
        assert dotted.status_code in {403, 404}
    assert root("GET", key).content == b"dear diary"


def test_it_answers_bob_the_same_403_whether_or_not_alices_upload_or_part_guess_exists(
    api: Api, alice_token: str, bob_token: str, cloud: RunningServer, bucket: str
) -> None:
    """No oracle: an unauthorized caller learns nothing about uploads, part sizes or part contents (ETags)."""
    alice = Cos(cloud, _creds(api, alice_token))
    bob = Cos(cloud, _creds(api, bob_token))
    key = "users/alice/multipart/oracle.bin"
    upload_id = _upload_id(alice("POST", key, {"uploads": ""}))
    part = alice("PUT", key, {"partNumber": "1", "uploadId": upload_id}, b"guessable")
    etag = part.headers["ETag"].strip('"')

    def complete(number: int, guess: str) -> bytes:
        return (
            f"<CompleteMultipartUpload><Part><PartNumber>{number}</PartNumber><ETag>{guess}</ETag></Part>"
            "</CompleteMultipartUpload>"
        ).encode()

    answers = {
        "complete, right ETag": bob("POST", key, {"uploadId": upload_id}, complete(1, etag)),
        "complete, wrong ETag": bob("POST", key, {"uploadId": upload_id}, complete(1, "0" * 32)),
        "complete, no such upload": bob("POST", key, {"uploadId": "0" * 40}, complete(1, etag)),
        "part, no such upload": bob("PUT", key, {"partNumber": "1", "uploadId": "0" * 40}, b"x"),
        "part, her upload": bob("PUT", key, {"partNumber": "2", "uploadId": upload_id}, b"x"),
    }
    codes = {name: (a.status_code, re.findall(r"<Code>(\w+)</Code>", a.text)) for name, a in answers.items()}
    assert all(code == (403, ["AccessDenied"]) for code in codes.values()), codes
    alice("DELETE", key, {"uploadId": upload_id})


def test_it_creates_tokens_only_for_the_signed_in_user(alice: Any, bob: Any) -> None:
    from knox.models import AuthToken

    browser = Client()
    browser.force_login(bob)
    response = browser.post("/access/tokens/", {"user": alice.pk, "username": "alice"})
    assert response.status_code == 302
    assert AuthToken.objects.filter(user=bob).count() == 1
    assert not AuthToken.objects.filter(user=alice).exists()


@pytest.fixture
def policy(account: CloudAccount, bucket: str) -> AccessPolicy:
    return make_policy(account, name="read-write own prefix", bucket=bucket)


__all__ = ["make_token"]
