"""The password sign-in forms (the portal's and the admin's), refusing staff when they must use single sign-on."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from signer.identity.sso import password_sign_in_allowed

STAFF_MUST_USE_SSO = _("Staff accounts sign in with single sign-on: use the button below the form.")


class _PasswordRules:
    def confirm_login_allowed(self, user: AbstractBaseUser) -> None:
        super().confirm_login_allowed(user)  # type: ignore[misc]
        if not password_sign_in_allowed(user):
            raise ValidationError(STAFF_MUST_USE_SSO, code="sso_required")


class PasswordLoginForm(_PasswordRules, AuthenticationForm):
    pass


class AdminPasswordLoginForm(_PasswordRules, AdminAuthenticationForm):
    pass
