"""Sign-in to the portal's pages with the company's OpenID Connect provider (mozilla-django-oidc): the authorization
code flow with PKCE, beside the password form, on when OIDC_RP_CLIENT_ID is set.

mozilla-django-oidc does the protocol (state, nonce, PKCE, the token request, the ID token's signature against the
issuer's JWKS); the user it signs in as is signer's decision (signer/identity/sso.py). With OIDC_REQUIRED_FOR_STAFF,
staff may not sign in with a password at all: neither the portal's form, the admin's, nor /api/auth/login
(signer/identity/sso_forms.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from signer.identity.sso import sso_enabled, sso_user, sso_username


class PortalOidcBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """The library's backend, with the portal's user mapping instead of its match by e-mail."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> AbstractBaseUser | None:
        if not sso_enabled():
            return None
        user: AbstractBaseUser | None = super().authenticate(request, **kwargs)
        return user

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return sso_username(claims) is not None

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[Any] | list[AbstractBaseUser]:
        user = sso_user(claims)
        return [user] if user is not None else []

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        # The ID token's claims and the userinfo answer, as the library reads them; never creates by itself.
        claims = {**payload, **self.get_userinfo(access_token, id_token, payload)}
        return sso_user(claims) if self.verify_claims(claims) else None


class SsoRequestView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured")
        response: HttpResponse = super().get(request)
        return response


class SsoCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured")
        response: HttpResponse = super().get(request)
        return response
