"""The portal user a company sign-in (SSO for the portal's pages, portal/sso.py) stands for.

The claim named by OIDC_USERNAME_CLAIM (default preferred_username) is the user name, exactly: it must be a safe
literal (signer/identity/safety.py), since it becomes `${username}` in policies. An existing user of that name signs
in; a new name is refused unless OIDC_CREATE_USER is set, and then becomes a user without a password. Matching by
e-mail, the library's default, is not used: an address is not an identity that the admin has vetted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from signer.identity.safety import is_safe_literal
from signer.usernames import RESERVED


def sso_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID)


def password_sign_in_allowed(user: AbstractBaseUser) -> bool:
    """False for staff when OIDC_REQUIRED_FOR_STAFF is set (and SSO configured): they must use single sign-on."""
    return not (sso_enabled() and settings.OIDC_REQUIRED_FOR_STAFF and getattr(user, "is_staff", False))


def sso_username(claims: dict[str, Any]) -> str | None:
    name = claims.get(settings.OIDC_USERNAME_CLAIM)
    if not is_safe_literal(name) or name.lower() in RESERVED:
        return None
    return name


def sso_user(claims: dict[str, Any]) -> AbstractBaseUser | None:
    """The user these claims sign in as (created when OIDC_CREATE_USER allows), or None."""
    name = sso_username(claims)
    if name is None:
        return None
    user_model = get_user_model()
    user = user_model.objects.filter(**{user_model.USERNAME_FIELD: name}).first()
    if user is None and settings.OIDC_CREATE_USER:
        email = claims.get("email") if isinstance(claims.get("email"), str) else ""
        user = user_model.objects.create_user(**{user_model.USERNAME_FIELD: name}, email=email)
    return user
