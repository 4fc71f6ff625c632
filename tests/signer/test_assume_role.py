"""Role-based accounts: the portal stores a sub-account key that may only AssumeRole, and the credentials it hands out
are the intersection of the role's policy and the user's policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from qcloud_cos.cos_exception import CosServiceError

from demo import cos
from localcloud.config import DEFAULT_APPID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_UIN, Config
from localcloud.server import RunningServer, start_in_thread
from signer import audit
from signer.models import CloudAccount, IssuedCredential
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET, REGION, make_account, make_policy, make_token, make_user
from tests.signer.conftest import Api
from tests.signer.test_access import assert_error

ROLE = "uploads"
ROLE_ARN = f"qcs::cam::uin/{DEFAULT_UIN}:roleName/{ROLE}"
ASSUMER = ("AKIDASSUMERSUBACCOUNT00000000001", "assumer-secret-key-000000000000001")
OUTSIDER = ("AKIDOUTSIDERSUBACCOUNT0000000001", "outsider-secret-key-00000000000001")
USERS = f"qcs::cos:{REGION}:uid/{DEFAULT_APPID}:{DEMO_BUCKET}/users/*"


def allow(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"effect": "allow", "action": actions, "resource": resources}


@pytest.fixture(scope="module")
def role_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A localcloud with a role allowing only users/* of the demo bucket, and two sub-accounts."""
    config = Config(
        data_dir=tmp_path_factory.mktemp("role-cloud"),
        roles={ROLE: {"version": "2.0", "statement": [allow(["name/cos:*"], [USERS])]}},
        subaccounts={
            ASSUMER[0]: (ASSUMER[1], {"version": "2.0", "statement": [allow(["name/sts:AssumeRole"], [ROLE_ARN])]}),
            OUTSIDER[0]: (OUTSIDER[1], {"version": "2.0", "statement": [allow(["name/cos:GetService"], ["*"])]}),
        },
    )
    server = start_in_thread(config)
    yield server
    server.stop()


@pytest.fixture
def on_role_cloud(role_cloud: RunningServer, settings: Any, transactional_db: None) -> RunningServer:
    settings.LOCALCLOUD_URL = role_cloud.url
    keys = cos.Keys(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    if DEMO_BUCKET not in {bucket.name for bucket in cos.list_buckets(keys)}:
        cos.create_bucket(keys, region=REGION, bucket=DEMO_BUCKET, cors_origins=[])
    return role_cloud


def role_account(keys: tuple[str, str] = ASSUMER) -> CloudAccount:
    return make_account(name="role-based", secret_id=keys[0], secret_key=keys[1], role_arn=ROLE_ARN)


def credentials(api: Api, user: Any) -> dict[str, str]:
    response = api.get("/sts", token=make_token(user))
    assert response.status_code == 200, response.text
    return dict(response.json()["credentials"])


def test_it_issues_credentials_through_assume_role(api: Api, on_role_cloud: RunningServer) -> None:
    alice = make_user("alice", policy=make_policy(role_account(), preset="read-write own prefix", duration=3600))
    before = on_role_cloud.app.stats.snapshot()
    issued = credentials(api, alice)
    after = on_role_cloud.app.stats.snapshot()
    assert after.get("sts:AssumeRole", 0) - before.get("sts:AssumeRole", 0) == 1
    assert after.get("sts:GetFederationToken", 0) == before.get("sts:GetFederationToken", 0)
    client = cos_client(on_role_cloud, issued["tmpSecretId"], issued["tmpSecretKey"], issued["sessionToken"])
    client.put_object(Bucket=DEMO_BUCKET, Key="users/alice/by-role.txt", Body=b"role")
    with pytest.raises(CosServiceError) as other:
        client.put_object(Bucket=DEMO_BUCKET, Key="users/bob/by-role.txt", Body=b"no")
    assert other.value.get_status_code() == 403
    audit.drain()
    assert IssuedCredential.objects.get().account.role_arn == ROLE_ARN


def test_a_wider_user_policy_cannot_widen_the_role(api: Api, on_role_cloud: RunningServer) -> None:
    # The user's policy allows the whole bucket; the role only users/*: the credentials get the intersection.
    everything = [allow(["name/cos:*"], [f"qcs::cos:{REGION}:uid/${{appid}}:{DEMO_BUCKET}/*"])]
    bob = make_user("bob", policy=make_policy(role_account(), statements=everything))
    issued = credentials(api, bob)
    client = cos_client(on_role_cloud, issued["tmpSecretId"], issued["tmpSecretKey"], issued["sessionToken"])
    client.put_object(Bucket=DEMO_BUCKET, Key="users/anyone/inside-role.txt", Body=b"ok")
    with pytest.raises(CosServiceError) as outside:
        client.put_object(Bucket=DEMO_BUCKET, Key="top-level.txt", Body=b"no")
    assert outside.value.get_status_code() == 403
    assert outside.value.get_error_code() == "AccessDenied"


def test_it_answers_502_when_the_key_may_not_assume_the_role(api: Api, on_role_cloud: RunningServer) -> None:
    charlie = make_user("charlie", policy=make_policy(role_account(OUTSIDER)))
    body = assert_error(api.get("/sign", token=make_token(charlie)), 502, "AuthFailure.UnauthorizedOperation")
    assert "name/sts:AssumeRole" in body["message"]


def test_it_allows_long_durations_for_roles_only(on_role_cloud: RunningServer) -> None:
    assert role_account().max_duration == 43200
    assert make_account(name="root").max_duration == 7200
