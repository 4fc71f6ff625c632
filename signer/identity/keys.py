"""An issuer's signing keys: its discovery document names the JWKS, both are fetched over HTTPS and kept in the
shared cache (every worker reads the same copy), and fetched again when a token names a key they do not hold.

A token with an unknown `kid` triggers at most one fetch per provider per `SIGNER_OIDC_REFETCH_INTERVAL` seconds,
for every worker together (a cache.add gate): a flood of made-up key IDs cannot hammer the issuer. Keys rotate
rarely and issuers publish the next key before using it, so the floor costs nothing in practice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.request
from typing import Any
from urllib.error import URLError

from django.conf import settings
from django.core.cache import cache

from signer.errors import SignerError
from signer.models import IdentityProvider

logger = logging.getLogger(__name__)

CACHE_PREFIX = "signer:oidc"
MAX_DOCUMENT = 512 * 1024
FETCH_TIMEOUT = 5
FAILURE_BACKOFF = 10


class IssuerUnavailable(SignerError):
    """The issuer's discovery document or keys could not be fetched, and none are cached."""

    status = 503
    code_desc = "IssuerUnavailable"


def _ttl() -> int:
    return int(settings.SIGNER_OIDC_JWKS_TTL)


def _refetch_interval() -> int:
    return int(settings.SIGNER_OIDC_REFETCH_INTERVAL)


def _key(provider: IdentityProvider, what: str) -> str:
    # The issuer is part of the key: editing a provider's issuer must not serve the old issuer's keys.
    digest = hashlib.sha256(provider.issuer.encode()).hexdigest()[:32]
    return f"{CACHE_PREFIX}:{what}:{provider.pk}:{digest}"


def _get_json(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - scheme checked
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
            body = response.read(MAX_DOCUMENT + 1)
    except (URLError, OSError, ValueError) as exc:
        raise IssuerUnavailable(f"cannot fetch {url}: {exc}") from None
    if len(body) > MAX_DOCUMENT:
        raise IssuerUnavailable(f"{url} is larger than {MAX_DOCUMENT} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        raise IssuerUnavailable(f"{url} is not JSON") from None
    if not isinstance(document, dict):
        raise IssuerUnavailable(f"{url} is not a JSON object")
    return document


def _jwks_uri(provider: IdentityProvider) -> str:
    key = _key(provider, "discovery")
    uri = cache.get(key)
    if isinstance(uri, str):
        return uri
    document = _get_json(provider.issuer.rstrip("/") + "/.well-known/openid-configuration")
    # OpenID Connect Discovery: the document's issuer is exactly the one asked for, else it is not that issuer's.
    if document.get("issuer") != provider.issuer:
        raise IssuerUnavailable(f"the discovery document of {provider.issuer} names issuer {document.get('issuer')!r}")
    uri = document.get("jwks_uri")
    if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
        raise IssuerUnavailable(f"the discovery document of {provider.issuer} has no usable jwks_uri")
    if uri.startswith("http://") and not provider.issuer.startswith("http://"):
        raise IssuerUnavailable(f"the discovery document of {provider.issuer} has a plain-http jwks_uri")
    cache.set(key, uri, timeout=_ttl())
    return uri


def _fetch(provider: IdentityProvider) -> list[dict[str, Any]]:
    document = _get_json(_jwks_uri(provider))
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise IssuerUnavailable(f"the JWKS of {provider.issuer} has no keys")
    usable = [key for key in keys if isinstance(key, dict) and key.get("use", "sig") == "sig"]
    cache.set(_key(provider, "jwks"), usable, timeout=_ttl())
    logger.info("fetched %d signing key(s) of %s", len(usable), provider.issuer)
    return usable


def _find(keys: list[dict[str, Any]], kid: str | None) -> dict[str, Any] | None:
    if kid is None:
        # A token without kid is only unambiguous when the issuer publishes a single key.
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.get("kid") == kid), None)


def _may_refetch(provider: IdentityProvider) -> bool:
    """At most one JWKS fetch per provider per refetch interval, across workers. The floor holds the time of the last
    fetch and is judged by our clock, not only by the cache's expiry (which Redis keeps on its own clock)."""
    key, now, interval = _key(provider, "refetch"), time.time(), _refetch_interval()
    if cache.add(key, now, timeout=interval):
        return True
    last = cache.get(key)
    if isinstance(last, (int, float)) and now - last < interval:
        return False
    cache.set(key, now, timeout=interval)
    return True


def signing_key(provider: IdentityProvider, kid: str | None) -> dict[str, Any] | None:
    """The JWK `kid` names in the provider's JWKS (fetched when not cached, fetched again when the kid is unknown,
    at most once per refetch interval); None when the issuer does not publish it."""
    cached = cache.get(_key(provider, "jwks"))
    if isinstance(cached, list):
        found = _find(cached, kid)
        if found is not None:
            return found
        if not _may_refetch(provider):
            return None
        try:
            return _find(_fetch(provider), kid)
        except IssuerUnavailable as exc:
            logger.warning("keeping the cached keys of %s: %s", provider.issuer, exc.message)
            return None
    # No keys yet. After a failed fetch, callers are refused at once for a few seconds: an unreachable issuer must
    # not hold every request for the fetch timeout.
    if cache.get(_key(provider, "failed")):
        raise IssuerUnavailable(f"the keys of {provider.issuer} could not be fetched; try again shortly")
    cache.add(_key(provider, "refetch"), time.time(), timeout=_refetch_interval())
    try:
        return _find(_fetch(provider), kid)
    except IssuerUnavailable as exc:
        logger.warning("no signing keys for %s: %s", provider.issuer, exc.message)
        cache.set(_key(provider, "failed"), 1, timeout=FAILURE_BACKOFF)
        raise


def keys_forget(provider: IdentityProvider) -> None:
    cache.delete_many([_key(provider, what) for what in ("discovery", "jwks", "refetch", "failed")])
