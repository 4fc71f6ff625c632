"""A user with several policies chooses which one `/sign` and `/sts` use (`policy`, by name): only one of their own
effective policies (403 UnknownPolicy otherwise), each with a cached credential of its own and audited under it, the
STS session name still the user's."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from qcloud_cos.cos_exception import CosServiceError

from localcloud.server import RunningServer
from signer import audit
from signer.models import AccessPolicy, CloudAccount, IssuedCredential
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET, make_policy, make_token, make_user
from tests.signer.conftest import Api
from tests.signer.test_access import assert_error

PUBLIC = [
    {
        "effect": "allow",
        "action": ["name/cos:GetObject"],
        "resource": [f"qcs::cos:ap-guangzhou:uid/1250000000:{DEMO_BUCKET}/public/*"],
    }
]


@pytest.fixture
def reader(account: CloudAccount, alice: Any) -> AccessPolicy:
    """Alice's narrower policy, and her default: a higher priority than "read-write own prefix"."""
    return make_policy(account, name="read own prefix", preset="read own prefix", priority=10, users=[alice])


def test_it_serves_the_policy_chosen_and_the_default_without_one(
    api: Api, cloud: RunningServer, policy: AccessPolicy, reader: AccessPolicy, alice_token: str
) -> None:
    def client(answer: dict[str, Any]) -> Any:
        keys = answer["credentials"]
        return cos_client(cloud, keys["tmpSecretId"], keys["tmpSecretKey"], keys["sessionToken"])

    default = client(api.get("/sts", token=alice_token).json())
    with pytest.raises(CosServiceError) as refused:
        default.put_object(Bucket=DEMO_BUCKET, Key="users/alice/by-default.txt", Body=b"x")
    assert refused.value.get_error_code() == "AccessDenied"

    for chosen in (
        api.get("/sts", token=alice_token, params={"policy": policy.name}).json(),
        api.post("/sts", token=alice_token, json={"policy": policy.name}).json(),
        api.post("/sign", token=alice_token, json={"policy": policy.name}).json()["data"],
    ):
        client(chosen).put_object(Bucket=DEMO_BUCKET, Key="users/alice/chosen.txt", Body=b"mine")
    assert default.get_object(Bucket=DEMO_BUCKET, Key="users/alice/chosen.txt")["Body"].get_raw_stream().read() == (
        b"mine"
    )


def test_it_accepts_a_policy_given_through_a_group(
    api: Api, account: CloudAccount, alice: Any, alice_token: str
) -> None:
    team = Group.objects.create(name="team")
    alice.groups.add(team)
    make_policy(account, name="team reading", statements=PUBLIC, priority=-5, groups=[team])
    response = api.get("/sign", token=alice_token, params={"policy": "team reading"})
    assert response.status_code == 200, response.text
    audit.drain()
    assert IssuedCredential.objects.get().policy_name == "team reading"


@pytest.mark.parametrize("name", ["no-such-policy", "bob's", "READ OWN PREFIX", "read own", "*"])
def test_it_refuses_a_policy_that_is_not_the_callers_with_403(
    api: Api, account: CloudAccount, reader: AccessPolicy, alice_token: str, name: str
) -> None:
    make_policy(account, name="bob's", preset="read whole bucket", users=[make_user("bob")])
    for response in (
        api.get("/sign", token=alice_token, params={"policy": name}),
        api.get("/sts", token=alice_token, params={"policy": name}),
        api.post("/sign", token=alice_token, json={"policy": name}),
        api.post("/sts", token=alice_token, json={"policy": name}),
    ):
        body = assert_error(response, 403, "UnknownPolicy")
        assert body["message"] == f"no policy named {name!r} is assigned to you"
        assert "read whole bucket" not in body["message"]
    audit.drain()
    assert not IssuedCredential.objects.exists()


def test_it_caches_one_credential_per_policy_and_audits_each_under_its_own(
    api: Api, account: CloudAccount, cloud: RunningServer, bucket: str, stats: Any
) -> None:
    # Two policies that render to the same document: still two credentials, one per policy.
    first = make_policy(account, name="public one", statements=PUBLIC, priority=2)
    second = make_policy(account, name="public two", statements=PUBLIC, priority=1)
    alice = make_user("alice", policy=first)
    second.users.add(alice)
    token = make_token(alice)
    before = stats().get("sts:GetFederationToken", 0)
    ids = {}
    for chosen in (first, second):
        answers = [api.get("/sts", token=token, params={"policy": chosen.name}).json() for _ in range(2)]
        assert answers[0]["credentials"]["tmpSecretId"] == answers[1]["credentials"]["tmpSecretId"]  # cached
        ids[chosen.name] = answers[0]["credentials"]["tmpSecretId"]
    default = api.get("/sts", token=token).json()["credentials"]["tmpSecretId"]
    assert default == ids["public one"]  # the highest priority, and the same entry as naming it
    assert ids["public one"] != ids["public two"]
    assert stats().get("sts:GetFederationToken", 0) - before == 2

    audit.drain()
    rows = list(IssuedCredential.objects.order_by("created"))
    assert [(row.policy_name, row.policy_id, row.served_from_cache) for row in rows] == [
        ("public one", first.pk, False),
        ("public one", first.pk, True),
        ("public two", second.pk, False),
        ("public two", second.pk, True),
        ("public one", first.pk, True),
    ]
    assert {row.tmp_secret_id for row in rows if row.policy_name == "public two"} == {ids["public two"]}
    # Whichever policy, the session name is the person's.
    for secret_id in ids.values():
        principal = cloud.app.credentials.lookup(secret_id)
        assert principal is not None
        assert principal.name == f"federated:portal-{alice.pk}-alice"
