"""The portal's Prometheus metrics: the one module that defines and exports them (`/metrics`).

Counted where the event happens, by one call from the module that sees it: STS calls by action and outcome
(signer/sts.py), credential cache hits per layer, misses and single-flight waits (signer/credential_cache.py),
throttled requests by scope (signer/throttling.py), refusals by kind (signer/refusals.py); `/sign` and `/sts`
latency by the middleware below. Read when scraped: the audit outbox's depth (signer/audit.py) and the STS quota.

prometheus-client directly rather than django-prometheus: these are the portal's own events, not per-view or per-DB
metrics, and django-prometheus would add middlewares and database/cache backend wrappers we do not need.

Several gunicorn workers: each is its own process with its own counters. Set PROMETHEUS_MULTIPROC_DIR (an empty
directory, wiped before the server starts) in the environment of gunicorn, and every worker writes its values
there and any worker's `/metrics` answers the sum. Without it, `/metrics` answers the one worker that served the
scrape, which is right only with one worker.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from signer.net import client_ip

logger = logging.getLogger(__name__)

_REGISTRY = CollectorRegistry(auto_describe=True)

STS_CALLS = Counter(
    "portal_sts_calls",
    "STS API calls by action (GetFederationToken, AssumeRole) and outcome (success, error, unavailable).",
    ["action", "outcome"],
    registry=_REGISTRY,
)
CACHE_HITS = Counter(
    "portal_credential_cache_hits",
    "Credentials served from the cache, by layer: memo (this worker's decrypted copy) or shared (the cache).",
    ["layer"],
    registry=_REGISTRY,
)
CACHE_MISSES = Counter(
    "portal_credential_cache_misses", "Credential requests that found no usable cache entry.", registry=_REGISTRY
)
SINGLE_FLIGHT_WAITS = Counter(
    "portal_single_flight_waits",
    "Requests that waited for another request's STS call for the same cache entry.",
    registry=_REGISTRY,
)
STALE_SERVED = Counter(
    "portal_credential_stale_served",
    "Cached credentials served past their refresh margin because STS was unavailable.",
    registry=_REGISTRY,
)
THROTTLED = Counter(
    "portal_throttled_requests", "Requests refused by the rate limit, by scope.", ["scope"], registry=_REGISTRY
)
REFUSALS = Counter(
    "portal_refusals",
    "Refusals by kind (the audited ones and those over the audit's per-address rate alike).",
    ["kind"],
    registry=_REGISTRY,
)
SIGN_LATENCY = Histogram(
    "portal_sign_latency_seconds",
    "Time to answer /sign and /sts, by endpoint and HTTP status.",
    ["endpoint", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=_REGISTRY,
)
_TIMED_PATHS = {"/sign": "sign", "/sts": "sts"}


def sts_called(action: str, outcome: str) -> None:
    STS_CALLS.labels(action=action, outcome=outcome).inc()


def cache_hit(layer: str) -> None:
    CACHE_HITS.labels(layer=layer).inc()


def cache_missed() -> None:
    CACHE_MISSES.inc()


def single_flight_waited() -> None:
    SINGLE_FLIGHT_WAITS.inc()


def stale_served() -> None:
    STALE_SERVED.inc()


def throttled(scope: str) -> None:
    THROTTLED.labels(scope=scope).inc()


def refused(kind: str) -> None:
    REFUSALS.labels(kind=kind).inc()


class _LiveCollector(Collector):
    """Values read at scrape time, the same from every worker: the outbox depth and the STS quota."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "portal_sts_quota_per_second",
            "The account's STS request quota (calls per second); compare rate(portal_sts_calls_total[1m]).",
            value=float(settings.METRICS_STS_QUOTA),
        )
        depth = GaugeMetricFamily(
            "portal_audit_outbox_depth", "Audit rows waiting in the Redis outbox (or its claims), not yet written."
        )
        try:
            from signer import audit

            depth.add_metric([], float(audit.pending()))
        except Exception:  # noqa: BLE001 - a scrape must answer even while Redis is down
            logger.warning("audit outbox depth unavailable", exc_info=True)
            depth.add_metric([], float("nan"))
        yield depth


_LIVE = _LiveCollector()
_REGISTRY.register(_LIVE)


def exposition() -> bytes:
    """The text format of every metric: summed over the workers in multiprocess mode, else this process'."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(_LIVE)
        return generate_latest(registry)
    return generate_latest(_REGISTRY)


def _allowed(request: HttpRequest) -> bool:
    token = str(settings.METRICS_TOKEN)
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics: from METRICS_ALLOWED_NETWORKS, or with `Authorization: Bearer <METRICS_TOKEN>`; else 404
    (a scraper's address is not told the endpoint exists)."""
    if not _allowed(request):
        return HttpResponse(status=404)
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


class SignLatencyMiddleware:
    """Times /sign and /sts, the whole request through Django (authentication, throttle, cache, audit)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = _TIMED_PATHS.get(request.path_info)
        if endpoint is None:
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        SIGN_LATENCY.labels(endpoint=endpoint, status=str(response.status_code)).observe(time.perf_counter() - started)
        return response
