"""/metrics: who may read it, and that every metric moves when its event happens (a scrape before, one after)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from signer import audit, revocation, services
from signer.credential_cache import CacheEntry, credential_memo_clear, entry_key, owner_of
from signer.models import CloudAccount
from tests.factories import make_account
from tests.ops.conftest import Scrape

pytestmark = pytest.mark.django_db(transaction=True)

TokenClient = Callable[[str], Client]


def test_it_answers_loopback_and_hides_from_other_networks(settings: Any) -> None:
    assert Client().get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404
    settings.METRICS_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 200
    assert Client().get("/metrics").status_code == 404


def test_it_answers_a_bearer_token_from_anywhere(settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-me-please-0123456789"
    outside = {"REMOTE_ADDR": "198.51.100.7"}
    assert Client(**outside).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}").status_code == 200
    assert Client(**outside).get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert Client(**outside).get("/metrics").status_code == 404


def test_it_trusts_forwarded_addresses_only_through_num_proxies(settings: Any) -> None:
    behind_proxy = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert behind_proxy.get("/metrics").status_code == 200  # NUM_PROXIES=0: the proxy's own (loopback) address
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert behind_proxy.get("/metrics").status_code == 404  # the client behind it is not on loopback


def test_it_exports_the_sts_quota(scrape: Scrape, settings: Any) -> None:
    assert scrape("portal_sts_quota_per_second") == 600
    settings.METRICS_STS_QUOTA = 20
    assert scrape("portal_sts_quota_per_second") == 20


def test_it_counts_sts_calls_cache_hits_misses_and_sign_latency(
    scrape: Scrape, token_client: TokenClient, alice_token: str
) -> None:
    names = {
        "sts": ("portal_sts_calls_total", {"action": "GetFederationToken", "outcome": "success"}),
        "miss": ("portal_credential_cache_misses_total", {}),
        "memo": ("portal_credential_cache_hits_total", {"layer": "memo"}),
        "shared": ("portal_credential_cache_hits_total", {"layer": "shared"}),
        "latency": ("portal_sign_latency_seconds_count", {"endpoint": "sign", "status": "200"}),
    }

    def values() -> dict[str, float]:
        return {key: scrape(name, **labels) for key, (name, labels) in names.items()}

    client = token_client(alice_token)
    before = values()
    assert client.get("/sign").status_code == 200  # cold: a miss and one STS call
    assert client.get("/sign").status_code == 200  # this worker remembers it
    credential_memo_clear()
    assert client.get("/sign").status_code == 200  # from the shared cache
    after = values()
    assert {key: after[key] - before[key] for key in names} == {
        "sts": 1,
        "miss": 1,
        "memo": 1,
        "shared": 1,
        "latency": 3,
    }


def test_it_counts_sts_errors_and_unavailability(scrape: Scrape, account: CloudAccount, settings: Any) -> None:
    bad = make_account(name="wrong key", secret_key="not-the-right-key")
    error = {"action": "GetFederationToken", "outcome": "error"}
    unavailable = {"action": "GetFederationToken", "outcome": "unavailable"}
    before = (scrape("portal_sts_calls_total", **error), scrape("portal_sts_calls_total", **unavailable))
    assert not services.account_test_connection(account=bad).ok
    settings.LOCALCLOUD_URL = "http://127.0.0.1:9"  # discard: nothing answers
    settings.STS_TIMEOUT = 1
    assert services.account_test_connection(account=account).code == "StsUnavailable"
    after = (scrape("portal_sts_calls_total", **error), scrape("portal_sts_calls_total", **unavailable))
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


def test_it_counts_single_flight_waits(scrape: Scrape, token_client: TokenClient, alice: Any, alice_token: str) -> None:
    access_policy = alice.access_policies.get()
    _, digest = services._render(access_policy, alice)
    owner = owner_of(alice.pk, revocation.user_epoch(alice.pk))
    key = entry_key(
        account=access_policy.account,
        owner=owner,
        policy_id=access_policy.pk,
        digest=digest,
        duration=access_policy.duration,
    )
    # Another request leads this cold entry and has just published that STS is unavailable: we wait for it, once.
    cache.set(f"{key}:lock", "other-leader", timeout=30)
    cache.set(f"{key}:err:other-leader", {"unavailable": "timed out"}, timeout=30)
    before = scrape("portal_single_flight_waits_total")
    assert token_client(alice_token).get("/sign").status_code == 503
    assert scrape("portal_single_flight_waits_total") - before == 1


def test_it_counts_throttled_requests_by_scope(
    scrape: Scrape, token_client: TokenClient, alice_token: str, settings: Any
) -> None:
    settings.SIGNER_RATE = "1/min"
    client = token_client(alice_token)
    before = scrape("portal_throttled_requests_total", scope="sign")
    assert client.get("/sign").status_code == 200
    assert client.get("/sign").status_code == 429
    assert client.get("/sts").status_code == 429
    assert scrape("portal_throttled_requests_total", scope="sign") - before == 2


def test_it_reads_the_audit_outbox_depth_when_scraped(
    scrape: Scrape, token_client: TokenClient, alice_token: str, redis_cache: str, settings: Any
) -> None:
    settings.SIGNER_AUDIT = "outbox"
    assert scrape("portal_audit_outbox_depth") == 0
    client = token_client(alice_token)
    for _ in range(2):
        assert client.get("/sign").status_code == 200
    assert scrape("portal_audit_outbox_depth") == 2
    audit.drain()
    assert scrape("portal_audit_outbox_depth") == 0


def test_it_counts_stale_credentials_served_while_sts_is_down(
    scrape: Scrape, token_client: TokenClient, alice: Any, alice_token: str, settings: Any
) -> None:
    access_policy = alice.access_policies.get()
    _, digest = services._render(access_policy, alice)
    owner = owner_of(alice.pk, revocation.user_epoch(alice.pk))
    key = entry_key(
        account=access_policy.account,
        owner=owner,
        policy_id=access_policy.pk,
        digest=digest,
        duration=access_policy.duration,
    )
    # A credential inside its refresh margin (100 s left of 1800): due for a refresh, still valid.
    aging = CacheEntry("AKIDAGING", "aging-key", "aging-token", int(time.time()) - 1700, int(time.time()) + 100, "", "")
    cache.set(key, aging.dump(), timeout=100)
    settings.LOCALCLOUD_URL = "http://127.0.0.1:9"
    settings.STS_TIMEOUT = 1
    before = scrape("portal_credential_stale_served_total")
    response = token_client(alice_token).get("/sts")
    assert response.status_code == 200
    assert response.json()["credentials"]["tmpSecretId"] == "AKIDAGING"
    assert scrape("portal_credential_stale_served_total") - before == 1
