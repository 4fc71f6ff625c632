"""`Authorization: Bearer <ID token>`: a DRF authentication class for /sign and /sts, and its OpenAPI scheme.

Listed first on those views, so an unauthenticated caller is told `WWW-Authenticate: Bearer` and a bad token is a
401 in the API's error envelope. A header of any other scheme (`Token ...` for knox) is left to the next class.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from signer.identity.services import identity_login
from signer.identity.tokens import InvalidIdToken, VerifiedToken, id_token_verify

# Far above any real ID token (a few KB), far below what would make decoding costly.
MAX_TOKEN = 16 * 1024


class BearerIdTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, VerifiedToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise InvalidIdToken("Expected `Authorization: Bearer <ID token>`.")
        if len(parts[1]) > MAX_TOKEN:
            raise InvalidIdToken("The bearer token is too long.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise InvalidIdToken("The bearer token is not a JWT.") from None
        verified = id_token_verify(token)
        return identity_login(token=verified), verified

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class BearerIdTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "signer.identity.authentication.BearerIdTokenAuthentication"
    name = "idToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An OpenID Connect ID token from an identity provider registered in the admin: the "
            "caller becomes the portal user <provider>.<subject>.",
        }
