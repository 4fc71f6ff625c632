"""Validation of an OpenID Connect ID token, by PyJWT: the issuer picks the provider, the header's `kid` its key.

Refused (each an AuthenticationFailed subclass, so the API answers 401 with `WWW-Authenticate: Bearer` and the
`{code, message, codeDesc}` envelope, codeDesc being the class name): an issuer not registered or not active, an
algorithm outside the provider's list (which holds asymmetric algorithms only: `none` and HS256 never pass), a key
the issuer does not publish, a bad signature, `iss` not exactly the issuer, `aud` not one of the accepted, `exp` or
`iat` missing, expired, `nbf` in the future, `iat` older than `SIGNER_ID_TOKEN_MAX_AGE`, and a subject that is not
a safe literal (signer/identity/safety.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from rest_framework import exceptions

from signer.identity import keys
from signer.identity.safety import MAX_LENGTH, is_safe_literal
from signer.models import IdentityProvider

# Clock skew tolerated between the issuer and the portal, in seconds (exp, nbf, iat).
LEEWAY = 30


class InvalidIdToken(exceptions.AuthenticationFailed):
    default_detail = "The ID token is not valid."


class IdTokenExpired(InvalidIdToken):
    default_detail = "The ID token has expired."


class IdTokenNotYetValid(InvalidIdToken):
    default_detail = "The ID token is not valid yet."


class IdTokenTooOld(InvalidIdToken):
    default_detail = "The ID token was issued too long ago: sign in again."


class UnknownIssuer(InvalidIdToken):
    default_detail = "The ID token's issuer is not registered."


class UnsafeIdentity(InvalidIdToken):
    default_detail = "The ID token's subject cannot name a portal user."


@dataclass(frozen=True)
class VerifiedToken:
    provider: IdentityProvider
    subject: str
    claims: dict[str, Any]


def max_age() -> int:
    return int(settings.SIGNER_ID_TOKEN_MAX_AGE)


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidIdToken("The bearer token is not a JWT.") from None
    return header, claims


def _provider(issuer: object) -> IdentityProvider:
    provider = (
        IdentityProvider.objects.filter(issuer=issuer, is_active=True).select_related("policy").first()
        if isinstance(issuer, str)
        else None
    )
    if provider is None:
        raise UnknownIssuer()
    return provider


def _key(provider: IdentityProvider, header: dict[str, Any]) -> jwt.PyJWK:
    algorithm = header.get("alg")
    if algorithm not in provider.algorithms:
        raise InvalidIdToken(f"The ID token's algorithm {algorithm!r} is not allowed for this issuer.")
    kid = header.get("kid")
    jwk = keys.signing_key(provider, kid if isinstance(kid, str) else None)
    if jwk is None:
        raise InvalidIdToken("The ID token is signed with a key its issuer does not publish.")
    if jwk.get("alg", algorithm) != algorithm:
        raise InvalidIdToken("The ID token's algorithm is not the one its key is for.")
    try:
        return jwt.PyJWK(jwk, algorithm=algorithm)
    except jwt.PyJWTError:
        raise InvalidIdToken("The ID token's key does not fit its algorithm.") from None


def _decode(token: str, provider: IdentityProvider, key: jwt.PyJWK) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[key.algorithm_name],
            audience=list(provider.audiences),
            issuer=provider.issuer,
            leeway=LEEWAY,
            options={"require": ["iss", "aud", "exp", "iat"], "enforce_minimum_key_length": True},
        )
    except jwt.ExpiredSignatureError:
        raise IdTokenExpired() from None
    except jwt.ImmatureSignatureError:
        raise IdTokenNotYetValid() from None
    except jwt.InvalidAudienceError:
        raise InvalidIdToken("The ID token is not meant for this portal (audience).") from None
    except jwt.InvalidSignatureError:
        raise InvalidIdToken("The ID token's signature does not verify.") from None
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(f"The ID token is not valid: {exc}.") from None
    return claims


def id_token_verify(token: str) -> VerifiedToken:
    header, unverified = _unverified(token)
    provider = _provider(unverified.get("iss"))
    claims = _decode(token, provider, _key(provider, header))
    issued = claims["iat"]
    if not isinstance(issued, (int, float)) or issued < time.time() - max_age() - LEEWAY:
        raise IdTokenTooOld()
    subject = claims.get(provider.claim)
    if not is_safe_literal(subject):
        raise UnsafeIdentity(
            f"The ID token's {provider.claim!r} claim must be 1-{MAX_LENGTH} of the characters A-Z a-z 0-9 . _ @ + -."
        )
    return VerifiedToken(provider=provider, subject=subject, claims=claims)
