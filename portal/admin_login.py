"""The admin's sign-in, slowed down for guessers exactly like the portal's own (demo.auth_views.LoginView)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.urls import reverse
from django.utils.translation import gettext as _

from demo.auth_views import LoginView
from signer.identity.sso_forms import AdminPasswordLoginForm


class AdminLoginView(LoginView):
    template_name = "admin/login.html"
    authentication_form = AdminPasswordLoginForm
    # A signed-in user without staff rights must see the form (and why), not be bounced back and forth.
    redirect_authenticated_user = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(admin.site.each_context(self.request))
        context.update(title=_("Log in"), subtitle=None, app_path=self.request.get_full_path())
        if REDIRECT_FIELD_NAME not in self.request.GET and REDIRECT_FIELD_NAME not in self.request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index")
        return context

    def get_default_redirect_url(self) -> str:
        return reverse("admin:index")
