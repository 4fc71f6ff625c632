"""The admin: write-only secrets, masked SecretId, a real connection test, policy presets and validation, the policy
simulator and the read-only audit."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from django.db import connection

from signer.models import AccessPolicy, CloudAccount
from tests.factories import APPID, DEMO_BUCKET, PASSWORD, make_account, make_policy, make_user
from tests.signer.admin_client import AdminClient
from tests.signer.conftest import Api

SECRET_ID = "AKIDLOCALCLOUDDEVELOPMENTKEY0000"
SECRET_KEY = "localclouddevelopmentsecretkey00"


@pytest.fixture
def admin(api: Api, transactional_db: None) -> AdminClient:
    make_user("admin", is_superuser=True)
    return AdminClient(api.base, "admin", PASSWORD)


def account_form(**overrides: str) -> dict[str, str]:
    form = {
        "name": "localcloud",
        "appid": APPID,
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "default_region": "ap-guangzhou",
        "role_arn": "",
        "is_active": "on",
    }
    form.update(overrides)
    return form


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        return repr(cursor.fetchall())


def test_it_stores_the_secret_key_encrypted_and_never_shows_it(admin: AdminClient, cloud: Any) -> None:
    response = admin.submit("/admin/signer/cloudaccount/add/", account_form())
    assert response.status_code == 200
    account = CloudAccount.objects.get()
    assert account.secret_key == SECRET_KEY  # decrypts
    assert SECRET_KEY not in raw_rows("signer_cloudaccount")
    assert SECRET_KEY not in account.secret_key_encrypted

    change = admin.get(f"/admin/signer/cloudaccount/{account.pk}/change/")
    assert change.status_code == 200
    assert SECRET_KEY not in change.text
    assert SECRET_ID not in change.text  # shown masked only
    assert "AKID********0000" in change.text
    # The SecretKey input is rendered empty: no value, not even a masked one.
    field = next(line for line in change.text.splitlines() if 'name="secret_key"' in line)
    assert "value=" not in field
    assert 'type="password"' in field

    listing = admin.get("/admin/signer/cloudaccount/")
    assert "AKID********0000" in listing.text
    assert SECRET_ID not in listing.text


def test_it_keeps_the_secrets_when_the_fields_are_left_blank(admin: AdminClient, cloud: Any) -> None:
    account = make_account(cloud)
    before = account.secret_key_encrypted
    admin.submit(
        f"/admin/signer/cloudaccount/{account.pk}/change/",
        account_form(name="renamed", secret_id="", secret_key=""),
    )
    account.refresh_from_db()
    assert account.name == "renamed"
    assert (account.secret_id, account.secret_key, account.secret_key_encrypted) == (SECRET_ID, SECRET_KEY, before)

    admin.submit(f"/admin/signer/cloudaccount/{account.pk}/change/", account_form(secret_key="a-new-secret-key"))
    account.refresh_from_db()
    assert account.secret_key == "a-new-secret-key"


def test_it_requires_both_secrets_for_a_new_account(admin: AdminClient, transactional_db: None) -> None:
    response = admin.submit("/admin/signer/cloudaccount/add/", account_form(secret_key=""))
    assert "This field is required." in response.text
    assert not CloudAccount.objects.exists()
    bad_arn = admin.submit("/admin/signer/cloudaccount/add/", account_form(role_arn="arn:aws:iam::1:role/x"))
    assert "Expected qcs::cam::uin/&lt;uin&gt;:roleName/&lt;name&gt;." in bad_arn.text


@pytest.mark.parametrize(
    ("secret_key", "message"),
    [
        (SECRET_KEY, "Connection OK for localcloud"),
        (
            "wrong-key-000000000000000000000000",
            "Connection failed for localcloud: STS answered AuthFailure.SignatureFailure",
        ),
    ],
)
def test_it_tests_the_connection_with_a_real_sts_call(
    admin: AdminClient, cloud: Any, stats: Any, secret_key: str, message: str
) -> None:
    account = make_account(cloud, secret_key=secret_key)
    before = stats().get("sts:GetFederationToken", 0)
    response = admin.submit(
        "/admin/signer/cloudaccount/",
        {"action": "test_connection", "_selected_action": str(account.pk), "index": "0", "select_across": "0"},
    )
    assert message in html.unescape(response.text)
    assert secret_key not in response.text
    assert stats().get("sts:GetFederationToken", 0) - before == 1


def policy_form(account: CloudAccount, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "everyday",
        "description": "",
        "account": str(account.pk),
        "duration": "1800",
        "priority": "0",
        "preset": "",
        "preset_bucket": "",
        "preset_region": "*",
        "statements": "",
        "max_object_size": "",
        "allowed_content_types": "",
        "allowed_networks": "",
    }
    form.update(overrides)
    return form


def test_it_fills_the_statements_from_a_preset(admin: AdminClient, cloud: Any) -> None:
    account = make_account(cloud)
    admin.submit(
        "/admin/signer/accesspolicy/add/",
        policy_form(account, preset="upload to own prefix", preset_bucket=DEMO_BUCKET, preset_region="ap-guangzhou"),
    )
    policy = AccessPolicy.objects.get(name="everyday")
    actions = {action for statement in policy.statements for action in statement["action"]}
    multipart = {
        "ListMultipartUploads",
        "InitiateMultipartUpload",
        "UploadPart",
        "ListParts",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
        "PutObject",
    }
    assert {f"name/cos:{name}" for name in multipart} <= actions
    assert {"name/cos:GetService", "name/cos:HeadBucket", "name/cos:GetBucket"} <= actions
    assert "name/cos:GetObject" not in actions
    resources = {resource for statement in policy.statements for resource in statement["resource"]}
    assert f"qcs::cos:ap-guangzhou:uid/${{appid}}:{DEMO_BUCKET}/users/${{username}}/*" in resources

    change = admin.get(f"/admin/signer/accesspolicy/{policy.pk}/change/")
    assert "users/${username}/*" in html.unescape(change.text)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"statements": '[{"effect": "alow", "action": "*", "resource": "*"}]'},
            "statement 1, field 'effect': must be 'allow' or 'deny', got 'alow'",
        ),
        (
            {
                "statements": json.dumps(
                    [{"effect": "allow", "action": "name/cos:Get", "resource": "qcs::cos:*:uid/${appid}:b-1/${home}/*"}]
                )
            },
            "unknown variable ${home}",
        ),
        ({"statements": '{"effect": '}, "Enter a valid JSON."),
        ({"statements": ""}, "A policy needs at least one statement (or choose a preset)."),
        ({"preset": "read own prefix"}, "A preset needs the bucket it is for."),
        (
            {"preset": "read own prefix", "preset_bucket": DEMO_BUCKET, "allowed_networks": "10.0.0.0/33"},
            "'10.0.0.0/33' is not an IP address or a CIDR network",
        ),
        (
            {"preset": "read own prefix", "preset_bucket": DEMO_BUCKET, "duration": "9000"},
            "At most 7200 seconds",
        ),
    ],
)
def test_it_validates_policies_with_precise_messages(
    admin: AdminClient, cloud: Any, overrides: dict[str, str], message: str
) -> None:
    account = make_account(cloud)
    response = admin.submit("/admin/signer/accesspolicy/add/", policy_form(account, **overrides))
    assert message in html.unescape(response.text)
    assert not AccessPolicy.objects.exists()


def test_it_simulates_a_users_policy(admin: AdminClient, cloud: Any) -> None:
    account = make_account(cloud)
    policy = make_policy(account, name="everyday", preset="read-write own prefix")
    alice = make_user("alice", policy=policy)
    query = {"user": alice.pk, "action": "name/cos:PutObject", "region": "ap-guangzhou", "bucket": DEMO_BUCKET}

    allowed = html.unescape(
        admin.get("/admin/signer/accesspolicy/simulate/", params={**query, "key": "users/alice/a.jpg"}).text
    )
    assert ">\n          Allowed\n" in allowed or "Allowed" in allowed.split('id="simulator-result"')[1]
    assert "Deciding statement: 4" in allowed
    assert f"qcs::cos:ap-guangzhou:uid/{APPID}:{DEMO_BUCKET}/users/alice/*" in allowed

    denied = html.unescape(
        admin.get("/admin/signer/accesspolicy/simulate/", params={**query, "key": "users/bob/a.jpg"}).text
    )
    result = denied.split('id="simulator-result"')[1]
    assert "Denied" in result
    assert "No statement matched: an implicit deny." in result

    listing = admin.get(
        "/admin/signer/accesspolicy/simulate/", params={**query, "action": "name/cos:GetBucket", "key": "users/alice/"}
    )
    assert "Allowed" in listing.text.split('id="simulator-result"')[1]

    # Trying a policy before assigning it.
    reader = make_policy(account, name="reader", preset="read own prefix")
    tried = admin.get(
        "/admin/signer/accesspolicy/simulate/", params={**query, "key": "users/alice/a.jpg", "policy": reader.pk}
    )
    result = html.unescape(tried.text.split('id="simulator-result"')[1])
    assert "Denied" in result
    assert "Policy: <strong>reader</strong>" in result

    nobody = make_user("charlie")
    missing = admin.get("/admin/signer/accesspolicy/simulate/", params={**query, "user": nobody.pk, "key": "a"})
    assert "charlie has no access policy" in missing.text


def test_it_asks_the_simulator_for_the_request_context_conditions_need(admin: AdminClient, cloud: Any) -> None:
    account = make_account(cloud)
    policy = make_policy(
        account,
        name="images",
        preset="upload to own prefix",
        max_object_size=5 * 1024 * 1024,
        allowed_content_types="image/*",
    )
    alice = make_user("alice", policy=policy)
    query = {
        "user": alice.pk,
        "action": "name/cos:PutObject",
        "region": "ap-guangzhou",
        "bucket": DEMO_BUCKET,
        "key": "users/alice/cat.jpg",
    }
    asks = html.unescape(admin.get("/admin/signer/accesspolicy/simulate/", params=query).text)
    result = asks.split('id="simulator-result"')[1]
    assert "Denied" in result
    assert "A condition needs the request's size, content type" in result

    small_image = {**query, "content_length": 4 * 1024 * 1024, "content_type": "image/jpeg"}
    assert (
        "Allowed"
        in admin.get("/admin/signer/accesspolicy/simulate/", params=small_image).text.split('id="simulator-result"')[1]
    )
    big_image = {**small_image, "content_length": 6 * 1024 * 1024}
    assert (
        "Denied"
        in admin.get("/admin/signer/accesspolicy/simulate/", params=big_image).text.split('id="simulator-result"')[1]
    )
    text = {**small_image, "content_type": "text/plain"}
    assert (
        "Denied"
        in admin.get("/admin/signer/accesspolicy/simulate/", params=text).text.split('id="simulator-result"')[1]
    )


def test_it_shows_the_audit_read_only(admin: AdminClient, api: Api, cloud: Any, bucket: str) -> None:
    from tests.factories import make_token

    account = make_account(cloud)
    alice = make_user("alice", policy=make_policy(account, bucket=bucket))
    credentials = api.get("/sts", token=make_token(alice)).json()["credentials"]
    listing = admin.get("/admin/signer/issuedcredential/", params={"q": credentials["tmpSecretId"]})
    assert listing.status_code == 200
    assert credentials["tmpSecretId"] in listing.text
    assert credentials["tmpSecretKey"] not in listing.text
    assert credentials["sessionToken"] not in listing.text
    assert "/admin/signer/issuedcredential/add/" not in listing.text
    assert admin.get("/admin/signer/issuedcredential/add/").status_code == 403
    row = json.loads(json.dumps(raw_rows("signer_issuedcredential")))
    assert credentials["tmpSecretKey"] not in row
    assert credentials["sessionToken"] not in row


def test_it_tests_the_connection_from_the_change_page(admin: AdminClient, cloud: Any) -> None:
    account = make_account(cloud)
    page = admin.get(f"/admin/signer/cloudaccount/{account.pk}/change/")
    assert 'data-testid="test-connection"' in page.text
    path = f"/admin/signer/cloudaccount/{account.pk}/test-connection/"
    assert admin.get(path).status_code == 403  # a POST only
    response = admin.session.post(
        f"{admin.base}{path}", data=admin._csrf(page.text), timeout=60, headers={"Referer": admin.base}
    )
    assert response.url.endswith(f"/admin/signer/cloudaccount/{account.pk}/change/")
    assert "Connection OK for localcloud" in html.unescape(response.text)


def test_it_lists_api_tokens_by_name_and_revokes_one_by_deleting_it(
    admin: AdminClient, api: Api, cloud: Any, bucket: str
) -> None:
    from knox.models import AuthToken

    from signer import services

    alice = make_user("alice", policy=make_policy(make_account(cloud), bucket=bucket))
    token, _ = services.token_create(user=alice, name="laptop")
    assert api.get("/sts", token=token).status_code == 200  # its first use, shown as "Last used"
    stored = AuthToken.objects.get(user=alice)

    listing = admin.get("/admin/knox/authtoken/", params={"q": "laptop"})
    assert listing.status_code == 200
    text = html.unescape(listing.text)
    for column in ("Token", "Name", "User", "Created", "Expires", "Last used"):
        assert f">{column}<" in text
    for shown in (f"{stored.token_key}…", "laptop", "alice"):
        assert shown in text
    assert token not in text  # never the token (its hash is knox's primary key, in the links)
    assert "/admin/knox/authtoken/add/" not in listing.text
    assert admin.get("/admin/knox/authtoken/add/").status_code == 403
    detail = admin.get(f"/admin/knox/authtoken/{stored.pk}/change/")
    assert detail.status_code == 200
    assert "laptop" in detail.text

    deleted = admin.submit(f"/admin/knox/authtoken/{stored.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 200
    assert not AuthToken.objects.filter(user=alice).exists()
    assert api.get("/sts", token=token).status_code == 401
