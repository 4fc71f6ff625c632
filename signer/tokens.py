"""API tokens a person manages: named, with a lifetime of their choosing (up to SIGNER_TOKEN_TTL_HOURS), at most
SIGNER_TOKEN_LIMIT_PER_USER live at once, and when each was last used.

`last_used` is written at most once a minute per token and worker (remembered in the worker, not the cache), so the
authentication of /sign and /sts costs no extra round trip and at most one UPDATE a minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cachetools import TTLCache
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.models import AuthToken

from signer.errors import SignerError
from signer.models import ApiTokenInfo

LAST_USED_PRECISION = 60
_touched: TTLCache[str, bool] = TTLCache(maxsize=10_000, ttl=LAST_USED_PRECISION)


class TokenLimitReached(SignerError):
    status = 403
    code_desc = "TokenLimitReached"


def max_hours() -> int:
    return int(settings.SIGNER_TOKEN_TTL_HOURS)


def token_limit() -> int:
    return int(settings.SIGNER_TOKEN_LIMIT_PER_USER)


def live_tokens(user: AbstractBaseUser) -> Any:
    now = timezone.now()
    return AuthToken.objects.filter(user_id=user.pk).exclude(expiry__lt=now)


def token_create(
    *, user: AbstractBaseUser, name: str = "", hours: int | None = None, retire_oldest: bool = False
) -> tuple[str, datetime | None]:
    """A knox token (hashed at rest) named `name`, living `hours` (at most SIGNER_TOKEN_TTL_HOURS, the default);
    the plaintext is returned once, with its expiry.

    At SIGNER_TOKEN_LIMIT_PER_USER live tokens: TokenLimitReached, or with `retire_oldest` (an app signing in with
    /api/auth/login, which cannot ask its user which device to forget) the oldest tokens are revoked to make room."""
    hours = max_hours() if hours is None else max(1, min(hours, max_hours()))
    with transaction.atomic():
        live = live_tokens(user)
        excess = live.count() - token_limit() + 1
        if excess > 0 and not retire_oldest:
            raise TokenLimitReached(
                f"You already have {token_limit()} API tokens: revoke one you no longer use before creating another."
            )
        if excess > 0:
            oldest = list(live.order_by("created").values_list("digest", flat=True)[:excess])
            AuthToken.objects.filter(digest__in=oldest).delete()
        instance, token = AuthToken.objects.create(user=user, expiry=timedelta(hours=hours))
        ApiTokenInfo.objects.create(token=instance, name=name.strip()[:50])
    return token, instance.expiry


def token_touch(token: AuthToken) -> None:
    if token.digest in _touched:
        return
    _touched[token.digest] = True
    ApiTokenInfo.objects.filter(token_id=token.digest).update(last_used=timezone.now())


class TrackedTokenScheme(KnoxTokenScheme):  # type: ignore[no-untyped-call]
    """The OpenAPI scheme of knox's class, for ours (drf-spectacular matches extensions by exact class)."""

    target_class = "signer.tokens.TrackedTokenAuthentication"


class TrackedTokenAuthentication(TokenAuthentication):  # type: ignore[misc]
    """knox's `Authorization: Token <token>`, noting when each token was last used."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, AuthToken]:
        user, auth_token = super().authenticate_credentials(token)
        token_touch(auth_token)
        return user, auth_token
