"""A what-if for the signer's owner, mounted only in the benchmark configuration at /bench/sign-whatif.

The same /sign (same view class, envelope, authentication, throttle, credential cache and single flight: it calls
signer.credential_cache.credentials_cached), with the two costs the profile shows removed the way the findings propose:

1. the policy lookup (`selectors.policy_for_user`: a five-table join, ~1 ms of PostgreSQL planning per request) is
   remembered per user in the shared cache for POLICY_TTL seconds (the real fix also needs invalidation on policy,
   account and group changes: a version key bumped by post_save / m2m_changed signals);
2. the audit row is appended to an in-process buffer that a background thread writes with one bulk_create every
   FLUSH_INTERVAL seconds (and at exit), instead of one INSERT + COMMIT inside every request.

It exists to measure how far those two changes would move the cached /sign's throughput, not to serve anyone: the
product path is /sign. /sign has since made both changes its own way (signer/policy_cache.py's versioned policy
cache; signer/audit.py's Redis outbox, durable once Redis acknowledges the RPUSH); the what-if stays as the bound of
an audit that costs the request nothing at all (rows die with the worker). /sign now also writes the row of an
answer its worker remembers in the throttle's own round trip (signer/api.py), so the what-if's edge is the Python
of the row and Redis' own work, not a round trip.
"""

from __future__ import annotations

import atexit
import dataclasses
import queue
import threading
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db import close_old_connections
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from signer import services
from signer.api import SignApi
from signer.credential_cache import credentials_cached
from signer.logging import register_secret
from signer.models import IssuedCredential
from signer.net import client_ip
from signer.scopes import bucket_hint
from signer.selectors import policy_for_user

POLICY_TTL = 60
FLUSH_INTERVAL = 0.2


class AuditBuffer:
    def __init__(self) -> None:
        self.rows: queue.SimpleQueue[IssuedCredential] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="audit-flush", daemon=True)
        self._thread.start()
        atexit.register(self.flush)

    def add(self, row: IssuedCredential) -> None:
        self.rows.put(row)

    def flush(self) -> int:
        batch = []
        while True:
            try:
                batch.append(self.rows.get_nowait())
            except queue.Empty:
                break
        if batch:
            IssuedCredential.objects.bulk_create(batch, batch_size=500)
        return len(batch)

    def _run(self) -> None:
        stop = threading.Event()
        while not stop.wait(FLUSH_INTERVAL):
            try:
                self.flush()
            finally:
                close_old_connections()


_buffer: AuditBuffer | None = None
_buffer_lock = threading.Lock()


def audit_buffer() -> AuditBuffer:
    global _buffer
    with _buffer_lock:
        if _buffer is None:
            _buffer = AuditBuffer()
    return _buffer


def resolved(user: Any) -> tuple[Any, Any, str, int]:
    """(access policy with its account, rendered policy, digest, duration), from the cache when possible."""
    key = f"bench:whatif:policy:{user.pk}"
    hit = cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    access_policy = policy_for_user(user)
    rendered = access_policy.render(user)
    duration = min(access_policy.duration, access_policy.account.max_duration)
    value = (access_policy, rendered, services.policy_digest(rendered), duration)
    cache.set(key, value, POLICY_TTL)
    return value


class WhatIfSignApi(SignApi):
    def get(self, request: Request) -> Response:
        APIView.check_throttles(self, request)  # counted as DRF counts (SignApi counts in its own handler)
        user = request.user
        access_policy, rendered, digest, duration = resolved(user)
        account = access_policy.account
        username = user.get_username()
        entry, from_cache = credentials_cached(
            account=account,
            policy_id=access_policy.pk,
            policy=rendered,
            digest=digest,
            duration=duration,
            username=username,
        )
        register_secret(entry.tmp_secret_key, entry.session_token)
        audit_buffer().add(
            IssuedCredential(
                user=user,
                username=username,
                policy=access_policy,
                policy_name=access_policy.name,
                account=account,
                scoped=False,
                scope_digest=digest,
                scopes=[],
                tmp_secret_id=entry.tmp_secret_id,
                expired_time=datetime.fromtimestamp(entry.expired_time, tz=UTC),
                request_id=entry.request_id[:64],
                served_from_cache=from_cache,
                client_ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            )
        )
        credentials = services.TemporaryCredentials(
            **{f.name: getattr(entry, f.name) for f in dataclasses.fields(entry)},
            region=account.default_region,
            appid=account.appid,
            bucket_hint=bucket_hint(rendered),
            served_from_cache=from_cache,
            policy_name=access_policy.name,
        )
        return Response(self.envelope(credentials))
