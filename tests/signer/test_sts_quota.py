"""Over STS's per-account quota (RequestLimitExceeded), the portal answers 503 with Retry-After, never another 5xx,
and recovers by itself once the quota admits calls again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model

from localcloud.config import Config
from localcloud.server import RunningServer, start_in_thread
from signer import services
from signer.models import AccessPolicy
from tests.api import Api
from tests.factories import make_account, make_bucket, make_policy

USERS = 100
QUOTA = 5  # calls per second, where STS's real quota is 600


@pytest.fixture
def tight_cloud(tmp_path: Path, settings: Any) -> Iterator[RunningServer]:
    server = start_in_thread(Config(data_dir=tmp_path / "localcloud", sts_rate=QUOTA))
    settings.LOCALCLOUD_URL = server.url
    settings.LOCALCLOUD_PUBLIC_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def cold_users(tight_cloud: RunningServer, transactional_db: None) -> list[str]:
    """USERS users with the same policy template (so USERS different rendered policies: USERS cold cache entries),
    each with an API token."""
    account = make_account(tight_cloud)
    make_bucket(tight_cloud)
    policy: AccessPolicy = make_policy(account)
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"member{n:03}") for n in range(USERS)])
    policy.users.add(*users)
    return [services.token_create(user=user)[0] for user in users]


def test_it_answers_503_with_retry_after_over_the_sts_quota_and_recovers(
    api: Api, cold_users: list[str], tight_cloud: RunningServer
) -> None:
    pending = list(cold_users)
    refusals = 0
    # The clock stands still between shifts, so the quota bites however slowly this machine answers (100 calls within
    # one second of localcloud's clock); each shift moves it past the Retry-After the refusals named.
    with time_machine.travel(datetime.now(tz=UTC), tick=False) as traveller:
        for _round in range(200):  # bounded: each round moves time past the Retry-After of the refusals
            if not pending:
                break
            waits: list[int] = []
            still: list[str] = []
            for token in pending:
                response = api.get("/sts", token=token)
                if response.status_code == 200:
                    assert response.json()["credentials"]["tmpSecretId"]
                    continue
                assert response.status_code == 503, response.text
                assert response.json()["codeDesc"] == "RequestLimitExceeded"
                waits.append(int(response.headers["Retry-After"]))
                still.append(token)
            refusals += len(still)
            pending = still
            if waits:
                traveller.shift(max(waits))
    assert pending == []  # every user got credentials, without anyone restarting anything
    assert refusals > 0  # the quota did bite: 100 cold users within a second is over 5 per second
    calls = tight_cloud.app.stats.snapshot()
    sts_calls = sum(count for name, count in calls.items() if name.startswith("sts:"))
    assert sts_calls >= USERS
