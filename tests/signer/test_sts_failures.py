"""When STS fails: its error code comes back as 502; when it is down or slow, a still-valid cached credential is
served, else 503. Nothing secret in any of those answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from signer import audit, services
from signer.credential_cache import FAILURE_MEMORY, margin_for
from signer.models import CloudAccount, IssuedCredential
from tests.factories import make_account, make_policy, make_token, make_user
from tests.signer.conftest import Api
from tests.signer.test_access import assert_error
from tests.signer.test_single_flight import fire


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: an STS that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.mark.parametrize(
    ("secret_id", "secret_key", "code"),
    [
        ("AKIDLOCALCLOUDDEVELOPMENTKEY0000", "not-the-right-key-at-all-000000", "AuthFailure.SignatureFailure"),
        ("AKIDNOSUCHKEYATLOCALCLOUD0000000", "whatever-key-0000000000000000000", "AuthFailure.SecretIdNotFound"),
    ],
)
def test_it_answers_502_with_the_sts_error_code(
    api: Api, cloud: Any, bucket: str, secret_id: str, secret_key: str, code: str
) -> None:
    account = make_account(cloud, name="wrong keys", secret_id=secret_id, secret_key=secret_key)
    charlie = make_user("charlie", policy=make_policy(account, bucket=bucket))
    response = api.get("/sign", token=make_token(charlie))
    body = assert_error(response, 502, code)
    assert body["message"].startswith(f"STS refused the request: {code}")
    assert secret_key not in response.text
    audit.drain()
    assert not IssuedCredential.objects.exists()


def test_it_answers_503_when_sts_is_unreachable_and_nothing_is_cached(
    api: Api, alice_token: str, settings: Any
) -> None:
    settings.LOCALCLOUD_URL = f"http://127.0.0.1:{closed_port()}"
    body = assert_error(api.get("/sign", token=alice_token), 503, "StsUnavailable")
    assert "try again" in body["message"]


def test_it_answers_503_when_sts_does_not_answer_in_time(
    api: Api, alice_token: str, settings: Any, silent_server: str
) -> None:
    settings.LOCALCLOUD_URL = silent_server
    settings.STS_TIMEOUT = 0.5
    assert_error(api.get("/sts", token=alice_token), 503, "StsUnavailable")


def test_it_serves_a_cached_credential_past_the_margin_while_sts_is_down(
    api: Api, alice_token: str, account: CloudAccount, settings: Any
) -> None:
    first = api.get("/sts", token=alice_token).json()
    settings.LOCALCLOUD_URL = f"http://127.0.0.1:{closed_port()}"
    past_margin = first["expiredTime"] - margin_for(1800) + 60
    with time_machine.travel(datetime.fromtimestamp(past_margin, tz=UTC)):
        response = api.get("/sts", token=alice_token)
        assert response.status_code == 200, response.text
        assert response.json()["credentials"]["tmpSecretId"] == first["credentials"]["tmpSecretId"]
    audit.drain()
    assert IssuedCredential.objects.filter(served_from_cache=True).count() == 1
    # Once it has expired, there is nothing left to serve.
    with time_machine.travel(datetime.fromtimestamp(first["expiredTime"] + 1, tz=UTC)):
        assert_error(api.get("/sts", token=alice_token), 503, "StsUnavailable")


def test_it_recovers_by_itself_when_sts_returns(api: Api, alice_token: str, settings: Any, cloud: Any) -> None:
    settings.LOCALCLOUD_URL = f"http://127.0.0.1:{closed_port()}"
    assert api.get("/sign", token=alice_token).status_code == 503
    settings.LOCALCLOUD_URL = cloud.url
    # The failure is remembered for a moment (a burst does not hammer a failing STS), then STS is asked again.
    assert api.get("/sign", token=alice_token).status_code == 503
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(seconds=FAILURE_MEMORY + 1)):
        assert api.get("/sign", token=alice_token).json()["code"] == 0


def test_it_forgets_a_failure_as_soon_as_the_account_changes(api: Api, cloud: Any, bucket: str, stats: Any) -> None:
    account = make_account(cloud, name="fixable", secret_key="not-the-right-key-at-all-000000")
    token = make_token(make_user("charlie", policy=make_policy(account, bucket=bucket)))
    assert api.get("/sign", token=token).status_code == 502
    assert api.get("/sign", token=token).status_code == 502
    services.account_set_secret(account=account, secret_key="localclouddevelopmentsecretkey00")
    assert api.get("/sign", token=token).json()["code"] == 0


def test_it_refuses_an_inactive_account(api: Api, alice_token: str, account: CloudAccount) -> None:
    account.is_active = False
    account.save()
    assert_error(api.get("/sign", token=alice_token), 503, "AccountInactive")


def test_concurrent_requests_share_one_failing_sts_call(api: Api, cloud: Any, bucket: str, stats: Any) -> None:
    account = make_account(cloud, name="wrong", secret_key="not-the-right-key-at-all-000000")
    charlie = make_user("charlie", policy=make_policy(account, bucket=bucket))
    token = make_token(charlie)
    before = stats().get("sts:GetFederationToken", 0)
    # The clock stands still: however slowly a loaded machine serves the burst, it all falls within the moment
    # (FAILURE_MEMORY) for which the failure is remembered.
    with time_machine.travel(datetime.now(tz=UTC), tick=False):
        responses = fire([f"{api.base}/sign"], token, count=20)
    assert {r.status_code for r in responses} == {502}
    assert {r.json()["codeDesc"] for r in responses} == {"AuthFailure.SignatureFailure"}
    assert stats().get("sts:GetFederationToken", 0) - before == 1


def test_concurrent_requests_share_one_unavailable_sts_call(api: Api, alice_token: str, settings: Any) -> None:
    settings.LOCALCLOUD_URL = f"http://127.0.0.1:{closed_port()}"
    responses = fire([f"{api.base}/sts"], alice_token, count=20)
    assert {r.status_code for r in responses} == {503}
    assert {r.json()["codeDesc"] for r in responses} == {"StsUnavailable"}
