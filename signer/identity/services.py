"""The portal user behind an (issuer, subject): created on first use, given the provider's policies at each use."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from signer.identity.safety import is_safe_literal, safe_claims
from signer.identity.tokens import InvalidIdToken, VerifiedToken
from signer.models import AccessPolicy, Identity, IdentityProvider
from signer.revocation import revoked_since

logger = logging.getLogger(__name__)

# How stale `last_used` may get before a request writes it again: one write per identity per minute at most.
LAST_USED_PRECISION = timedelta(minutes=1)


# Claims that change with every token (or say nothing about the person): never stored, never in a policy, and not
# a reason to write the identity row at each new token.
PER_TOKEN_CLAIMS = frozenset({"iat", "exp", "nbf", "auth_time", "nonce", "jti", "sid", "at_hash", "c_hash", "s_hash"})


class IdentityUnavailable(InvalidIdToken):
    default_detail = "This identity cannot use the portal."


def username_for(provider: IdentityProvider, subject: str) -> str:
    return f"{provider.name}.{subject}"


def stored_claims(claims: dict[str, Any]) -> dict[str, str]:
    """What `${jwt:<claim>}` may use: the token's safe literals about the person."""
    return safe_claims({name: value for name, value in claims.items() if name not in PER_TOKEN_CLAIMS})


def policies_for_claims(provider: IdentityProvider, claims: dict[str, Any]) -> set[int]:
    """The policies the provider gives an identity with these claims: its own, and those its mapping names for the
    values of the policy claim (a string or a list of strings; unsafe values are ignored)."""
    wanted: set[int] = {provider.policy_id} if provider.policy_id else set()
    mapping = provider.policy_mapping if isinstance(provider.policy_mapping, dict) else {}
    if not provider.policy_claim or not mapping:
        return wanted
    values = claims.get(provider.policy_claim)
    values = [values] if isinstance(values, str) else values if isinstance(values, list) else []
    names = {mapping[value] for value in values if is_safe_literal(value) and value in mapping}
    if names:
        wanted |= set(AccessPolicy.objects.filter(name__in=names).values_list("pk", flat=True))
    return wanted


def _policies_sync(identity: Identity, claims: dict[str, Any]) -> None:
    """Assign what the provider gives, through AccessPolicy.users (so the policy cache's signals see it); nothing
    is written when nothing changed, so a steady identity costs one read.

    An identity's direct policies are its provider's to decide: a policy the claims no longer ask for (or the
    provider's previous policy) is taken away. Give such a user more through a group."""
    wanted = policies_for_claims(identity.provider, claims)
    user = identity.user
    current = set(AccessPolicy.objects.filter(users=user).values_list("pk", flat=True))
    missing = wanted - current
    extra = current - wanted
    if missing:
        user.access_policies.add(*missing)
    if extra:
        user.access_policies.remove(*extra)


def _create(token: VerifiedToken) -> Identity:
    username = username_for(token.provider, token.subject)
    user_model = get_user_model()
    with transaction.atomic():
        # Never take over an existing account that happens to have the name: that would be a sign-in as someone.
        if user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).exists():
            raise IdentityUnavailable(f"The user name {username!r} is taken by another account.")
        user = user_model.objects.create_user(**{user_model.USERNAME_FIELD: username})  # no password: unusable
        identity = Identity.objects.create(
            provider=token.provider, subject=token.subject, user=user, claims=stored_claims(token.claims)
        )
    logger.info("new identity %s from %s", username, token.provider.issuer)
    return identity


def _find(token: VerifiedToken) -> Identity | None:
    return Identity.objects.select_related("user").filter(provider=token.provider, subject=token.subject).first()


def identity_login(*, token: VerifiedToken) -> AbstractBaseUser:
    """The user of this identity (created on first use), with its stored claims and its policies brought up to date.

    Refused when the user or the identity has been disabled, and for a token issued before the user's access was
    revoked (signer/revocation.py): ID tokens cannot be recalled, so the portal stops honouring the old ones."""
    identity = _find(token)
    if identity is None:
        try:
            identity = _create(token)
        except (IntegrityError, IdentityUnavailable):
            # The same subject's first two requests may race: then the other one has just created it.
            identity = _find(token)
            if identity is None:
                raise
    identity.provider = token.provider  # the row the token was checked against, its policy loaded
    user = identity.user
    if not user.is_active:
        raise IdentityUnavailable("This identity's portal user is disabled.")
    if not identity.is_active:
        raise IdentityUnavailable("This identity is disabled.")
    if revoked_since(user.pk, float(token.claims.get("iat") or 0)):
        raise IdentityUnavailable("This identity's access was revoked after the ID token was issued: sign in again.")
    claims = stored_claims(token.claims)
    now = timezone.now()
    if claims != identity.claims or now - identity.last_used > LAST_USED_PRECISION:
        identity.claims, identity.last_used = claims, now
        identity.save(update_fields=["claims", "last_used"])
    _policies_sync(identity, token.claims)
    return user
