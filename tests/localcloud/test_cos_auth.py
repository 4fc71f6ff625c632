"""Who may do what: signatures, tokens, expiry and CAM policies, through cos-python-sdk-v5 and hand-made requests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import time_machine
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sts.v20180813 import models, sts_client

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Config
from localcloud.credentials import IssuedCredentials
from localcloud.server import RunningServer, start_in_thread
from qcloud.cos_signature import make_authorization
from tests.cos_sdk import bucket_host, presigned_download
from tests.localcloud.conftest import REGION, allow, cos_client, cos_error, deny, new_bucket_name, policy, resource
from tests.net import via_loopback

Issue = Callable[..., IssuedCredentials]
TemporaryClient = Callable[..., CosS3Client]


def alice_policy(bucket: str) -> dict[str, Any]:
    return policy(allow(["name/cos:*"], [resource(bucket, "users/alice/*")]))


def denied(call: Callable[[], object]) -> tuple[int, str, str]:
    with pytest.raises(CosServiceError) as excinfo:
        call()
    return cos_error(excinfo)


def raw_get(localcloud: RunningServer, bucket: str, key: str, authorization: str, **headers: str) -> requests.Response:
    return requests.get(
        f"{localcloud.url}/cos/{REGION}/{bucket}/{quote(key)}",
        headers={"Authorization": authorization, **headers},
        timeout=10,
    )


def test_it_keeps_temporary_keys_inside_their_prefix(
    root: CosS3Client, bucket: str, issue: Issue, temporary_client: TemporaryClient
) -> None:
    root.put_object(Bucket=bucket, Key="users/bob/private.txt", Body=b"bob's")
    alice = temporary_client(issue(alice_policy(bucket)))

    alice.put_object(Bucket=bucket, Key="users/alice/notes.txt", Body=b"alice's")
    assert alice.get_object(Bucket=bucket, Key="users/alice/notes.txt")["Body"].get_raw_stream().read() == b"alice's"
    listed = alice.list_objects(Bucket=bucket, Prefix="users/alice/")
    assert [c["Key"] for c in listed["Contents"]] == ["users/alice/notes.txt"]

    status, code, message = denied(lambda: alice.get_object(Bucket=bucket, Key="users/bob/private.txt"))
    assert (status, code) == (403, "AccessDenied")
    assert "name/cos:GetObject" in message
    assert f"{bucket}/users/bob/private.txt" in message
    assert denied(lambda: alice.put_object(Bucket=bucket, Key="users/bob/evil.txt", Body=b"x"))[:2] == (
        403,
        "AccessDenied",
    )
    assert denied(lambda: alice.list_objects(Bucket=bucket, Prefix="users/"))[:2] == (403, "AccessDenied")
    assert denied(lambda: alice.delete_bucket(Bucket=bucket))[:2] == (403, "AccessDenied")
    assert denied(lambda: alice.list_buckets())[:2] == (403, "AccessDenied")


def test_it_lets_an_explicit_deny_win(bucket: str, issue: Issue, temporary_client: TemporaryClient) -> None:
    creds = issue(
        policy(
            allow(["name/cos:*"], [resource(bucket, "users/alice/*")]),
            deny(["name/cos:PutObject"], [resource(bucket, "users/alice/locked/*")]),
        )
    )
    alice = temporary_client(creds)
    alice.put_object(Bucket=bucket, Key="users/alice/open.txt", Body=b"ok")
    status, code, message = denied(lambda: alice.put_object(Bucket=bucket, Key="users/alice/locked/x.txt", Body=b"no"))
    assert (status, code) == (403, "AccessDenied")
    assert "explicitly denied" in message


def test_it_needs_every_policy_of_the_credentials(bucket: str, issue: Issue, temporary_client: TemporaryClient) -> None:
    role = policy(allow(["name/cos:*"], [resource(bucket, "users/*")]))
    session = alice_policy(bucket)
    alice = temporary_client(issue(role, session))
    alice.put_object(Bucket=bucket, Key="users/alice/a.txt", Body=b"ok")
    assert denied(lambda: alice.put_object(Bucket=bucket, Key="users/bob/a.txt", Body=b"x"))[:2] == (
        403,
        "AccessDenied",
    )


def test_it_refuses_temporary_keys_after_they_expire(
    bucket: str, issue: Issue, temporary_client: TemporaryClient
) -> None:
    alice = temporary_client(issue(alice_policy(bucket), duration=900))
    alice.put_object(Bucket=bucket, Key="users/alice/before.txt", Body=b"ok")
    with time_machine.travel(time.time() + 901, tick=True):
        status, code, message = denied(
            lambda: alice.put_object(Bucket=bucket, Key="users/alice/after.txt", Body=b"late")
        )
    assert (status, code) == (403, "AccessDenied")
    assert "expired" in message


def test_it_requires_the_right_token(
    localcloud: RunningServer, bucket: str, issue: Issue, temporary_client: TemporaryClient
) -> None:
    creds = issue(alice_policy(bucket))
    wrong = cos_client(localcloud, creds.secret_id, creds.secret_key, "not-the-token")
    status, code, _ = denied(lambda: wrong.put_object(Bucket=bucket, Key="users/alice/x.txt", Body=b"x"))
    assert (status, code) == (403, "InvalidAccessKeyId")

    missing = cos_client(localcloud, creds.secret_id, creds.secret_key, None)
    status, code, message = denied(lambda: missing.put_object(Bucket=bucket, Key="users/alice/x.txt", Body=b"x"))
    assert (status, code) == (403, "InvalidAccessKeyId")
    assert "x-cos-security-token" in message


def test_it_says_what_it_expected_when_a_signature_does_not_match(localcloud: RunningServer, bucket: str) -> None:
    wrong_key = "thisisnotthesecretkeyatall000000"
    client = cos_client(localcloud, DEFAULT_SECRET_ID, wrong_key)
    status, code, message = denied(lambda: client.put_object(Bucket=bucket, Key="k.txt", Body=b"x"))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert "sha1\\n" in message  # the StringToSign
    assert "put\\n/k.txt\\n" in message  # the HttpString it was built from
    assert DEFAULT_SECRET_KEY not in message
    assert wrong_key not in message


def test_it_never_echoes_a_session_token_it_was_sent(localcloud: RunningServer, bucket: str, issue: Issue) -> None:
    creds = issue(alice_policy(bucket))
    client = cos_client(localcloud, creds.secret_id, "a-wrong-temporary-secret-key", creds.token)
    status, code, message = denied(lambda: client.put_object(Bucket=bucket, Key="users/alice/k.txt", Body=b"x"))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert "x-cos-security-token=<x-cos-security-token>" in message
    assert creds.token not in message
    assert quote(creds.token, safe="") not in message
    assert creds.secret_key not in message


def test_it_rejects_unknown_keys_and_anonymous_requests(localcloud: RunningServer, bucket: str) -> None:
    stranger = cos_client(localcloud, "AKIDUNKNOWNUNKNOWNUNKNOWN000000", "whatever")
    assert denied(lambda: stranger.list_objects(Bucket=bucket))[:2] == (403, "InvalidAccessKeyId")

    anonymous = requests.get(f"{localcloud.url}/cos/{REGION}/{bucket}/", timeout=10)
    assert anonymous.status_code == 403
    assert "<Code>AccessDenied</Code>" in anonymous.text


def test_it_checks_the_signature_time_window(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="timed.txt", Body=b"t")
    host = bucket_host(localcloud, bucket)
    now = int(time.time())

    future = make_authorization(
        DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "timed.txt", {}, {"host": host}, now + 3600
    )
    response = raw_get(localcloud, bucket, "timed.txt", future)
    assert response.status_code == 403
    assert "<Code>RequestTimeTooSkewed</Code>" in response.text

    past = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "timed.txt", {}, {"host": host}, now - 7200)
    response = raw_get(localcloud, bucket, "timed.txt", past)
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert "Request has expired" in response.text

    # The Python SDK's clock may run a little fast: a signature starting a minute ahead is fine.
    ahead = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "timed.txt", {}, {"host": host}, now + 60)
    assert raw_get(localcloud, bucket, "timed.txt", ahead).status_code == 200


def test_it_serves_presigned_urls_and_refuses_tampered_ones(
    localcloud: RunningServer, root: CosS3Client, bucket: str, issue: Issue
) -> None:
    root.put_object(Bucket=bucket, Key="users/alice/photo one.jpg", Body=b"jpeg bytes")
    root.put_object(Bucket=bucket, Key="users/alice/other.jpg", Body=b"other bytes")
    creds = issue(alice_policy(bucket))
    url = presigned_download(creds, bucket_host(localcloud, bucket), bucket, "users/alice/photo one.jpg")
    assert url.startswith(f"http://{bucket}.cos.{REGION}.localhost:{localcloud.port}/users/alice/photo%20one.jpg?")

    def get(url: str) -> requests.Response:
        target, host = via_loopback(url)
        return requests.get(target, headers=host, timeout=10)

    ok = get(url)
    assert ok.status_code == 200
    assert ok.content == b"jpeg bytes"

    other_key = get(url.replace("photo%20one.jpg", "other.jpg"))
    assert other_key.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in other_key.text

    signature = url.split("q-signature=")[1].split("&")[0]
    forged = get(url.replace(signature, "0" * len(signature)))
    assert forged.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in forged.text

    without_token = get(url.split("&x-cos-security-token=")[0])
    assert without_token.status_code == 403

    with time_machine.travel(time.time() + 400, tick=True):
        expired = get(url)
    assert expired.status_code == 403
    assert "Request has expired" in expired.text


def test_it_accepts_credentials_from_its_own_sts(localcloud: RunningServer, bucket: str) -> None:
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=f"{localcloud.host}:{localcloud.port}", protocol="http"))
    sts = sts_client.StsClient(credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY), REGION, profile)
    request = models.GetFederationTokenRequest()
    request.Name = "alice"
    request.Policy = quote(json.dumps(alice_policy(bucket)))
    request.DurationSeconds = 900
    answer = sts.GetFederationToken(request)
    alice = cos_client(
        localcloud, answer.Credentials.TmpSecretId, answer.Credentials.TmpSecretKey, answer.Credentials.Token
    )

    alice.put_object(Bucket=bucket, Key="users/alice/from-sts.txt", Body=b"via sts")
    assert alice.get_object(Bucket=bucket, Key="users/alice/from-sts.txt")["Body"].get_raw_stream().read() == b"via sts"
    assert denied(lambda: alice.put_object(Bucket=bucket, Key="elsewhere.txt", Body=b"x"))[:2] == (403, "AccessDenied")


def test_it_holds_single_uploads_to_size_and_type_conditions(
    bucket: str, issue: Issue, temporary_client: TemporaryClient
) -> None:
    limited = policy(
        allow(
            ["name/cos:PutObject"],
            [resource(bucket, "users/alice/*")],
            {
                "numeric_less_than_equal": {"cos:content-length": 2 * 1024 * 1024},
                "string_like": {"cos:content-type": "image/*"},
            },
        ),
    )
    alice = temporary_client(issue(limited))
    small_image = b"\x89PNG" + b"\0" * 1000
    alice.put_object(Bucket=bucket, Key="users/alice/ok.png", Body=small_image, ContentType="image/png")

    too_big = b"\0" * (2 * 1024 * 1024 + 1)
    assert denied(
        lambda: alice.put_object(Bucket=bucket, Key="users/alice/big.png", Body=too_big, ContentType="image/png")
    )[:2] == (403, "AccessDenied")
    assert denied(
        lambda: alice.put_object(Bucket=bucket, Key="users/alice/t.txt", Body=b"text", ContentType="text/plain")
    )[:2] == (403, "AccessDenied")
    # Multipart requests are judged one by one, as COS judges them: tests/localcloud/test_cos_conditions.py.


@pytest.mark.parametrize(("network", "allowed"), [("10.0.0.0/8", False), ("127.0.0.1/32", True)])
def test_it_checks_the_client_network(
    bucket: str, issue: Issue, temporary_client: TemporaryClient, network: str, allowed: bool
) -> None:
    creds = issue(
        policy(allow(["name/cos:*"], [resource(bucket, "users/alice/*")], {"ip_equal": {"qcs:ip": [network]}}))
    )
    alice = temporary_client(creds)
    if allowed:
        alice.put_object(Bucket=bucket, Key="users/alice/net.txt", Body=b"ok")
    else:
        assert denied(lambda: alice.put_object(Bucket=bucket, Key="users/alice/net.txt", Body=b"x"))[:2] == (
            403,
            "AccessDenied",
        )


def test_it_counts_operations_and_bytes_received(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    before = localcloud.app.stats.snapshot()
    root.put_object(Bucket=bucket, Key="counted.bin", Body=b"x" * 12345)
    after = localcloud.app.stats.snapshot()
    assert after["cos:PutObject"] == before.get("cos:PutObject", 0) + 1
    assert after["cos:bytes_in"] - before.get("cos:bytes_in", 0) == 12345


def test_it_never_logs_keys_or_tokens(
    localcloud: RunningServer, bucket: str, issue: Issue, caplog: pytest.LogCaptureFixture
) -> None:
    creds = issue(alice_policy(bucket))
    good = cos_client(localcloud, creds.secret_id, creds.secret_key, creds.token)
    bad = cos_client(localcloud, creds.secret_id, "wrong-secret", creds.token)
    with caplog.at_level("DEBUG", logger="localcloud"):
        good.put_object(Bucket=bucket, Key="users/alice/logged.txt", Body=b"x")
        denied(lambda: bad.put_object(Bucket=bucket, Key="users/alice/logged.txt", Body=b"x"))
        denied(lambda: good.put_object(Bucket=bucket, Key="users/bob/logged.txt", Body=b"x"))
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("localcloud"))
    assert "users/alice/logged.txt" in logged  # it does log requests...
    for secret in (creds.secret_key, creds.token, quote(creds.token, safe=""), DEFAULT_SECRET_KEY):
        assert secret not in logged  # ...but never what would let someone else make them


def test_it_checks_the_canned_acl_a_request_asks_for(
    bucket: str, issue: Issue, temporary_client: TemporaryClient
) -> None:
    creds = issue(
        policy(
            allow(
                ["name/cos:PutObject"],
                [resource(bucket, "users/alice/*")],
                {"string_equal": {"cos:x-cos-acl": "private"}},
            )
        )
    )
    alice = temporary_client(creds)
    alice.put_object(Bucket=bucket, Key="users/alice/private.txt", Body=b"x", ACL="private")
    assert denied(lambda: alice.put_object(Bucket=bucket, Key="users/alice/public.txt", Body=b"x", ACL="public-read"))[
        :2
    ] == (403, "AccessDenied")


def test_it_holds_sub_account_keys_to_their_policy(tmp_path: Path) -> None:
    name = new_bucket_name("sub")
    sub_policy = policy(allow(["name/cos:PutObject"], [resource(name, "users/alice/*")]))
    server = start_in_thread(
        Config(data_dir=tmp_path / "sub", subaccounts={"AKIDSUBACCOUNT0000000000000000001": ("subsecret", sub_policy)})
    )
    try:
        cos_client(server).create_bucket(Bucket=name)
        sub = cos_client(server, "AKIDSUBACCOUNT0000000000000000001", "subsecret")
        sub.put_object(Bucket=name, Key="users/alice/by-sub.txt", Body=b"x")
        assert denied(lambda: sub.put_object(Bucket=name, Key="users/bob/by-sub.txt", Body=b"x"))[:2] == (
            403,
            "AccessDenied",
        )
        assert denied(lambda: sub.list_buckets())[:2] == (403, "AccessDenied")
    finally:
        server.stop()
