from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.admin_login import AdminLoginView
from portal.health import healthz
from portal.sso import SsoCallbackView, SsoRequestView
from signer.metrics import metrics_view

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    # The API first: /sign and /sts are the hot path, resolved before any other pattern is tried.
    path("", include("signer.urls")),
    # Before admin.site.urls, so the admin's sign-in is throttled like the portal's.
    path("admin/login/", AdminLoginView.as_view(), name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("accounts/", include("demo.auth_urls")),
    path("oidc/authenticate/", SsoRequestView.as_view(), name="sso-start"),
    path("oidc/callback/", SsoCallbackView.as_view(), name="sso-callback"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the switcher's form posts here
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("demo.urls")),
]
