"""The "My access" page: the user's policies in plain words, copy-paste examples, and API tokens (shown once,
revocable)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from knox.models import AuthToken

from demo.describe import describe_policy
from demo.errors import demo_view
from demo.views import portal_origin
from signer import services
from signer.selectors import policies_for_user


def _access_context(request: HttpRequest) -> dict[str, Any]:
    policies = []
    for index, access_policy in enumerate(policies_for_user(request.user)):
        hint = None
        try:
            rendered = access_policy.render(request.user)
            statements = describe_policy(rendered)
            hint = services.bucket_hint(rendered)
            problem = ""
        except ValueError as exc:
            statements, problem = [], str(exc)
        policies.append(
            {
                "name": access_policy.name,
                "description": access_policy.description,
                "default": index == 0,
                "duration_minutes": access_policy.duration // 60,
                "account": access_policy.account.name,
                "appid": access_policy.account.appid,
                "region": access_policy.account.default_region,
                "limits": access_policy.limits().describe(),
                "statements": statements,
                "problem": problem,
                "bucket_hint": hint,
            }
        )
    tokens = AuthToken.objects.filter(user=request.user).order_by("-created")
    base = portal_origin(request)
    example_bucket = next((p["bucket_hint"] for p in policies if p["bucket_hint"]), None)
    return {
        "example_bucket": example_bucket or f"examplebucket-{policies[0]['appid'] if policies else '1250000000'}",
        "example_region": policies[0]["region"] if policies else "ap-guangzhou",
        "example_key": f"users/{request.user.get_username()}/photo.jpg",
        "policies": policies,
        "tokens": tokens,
        "base_url": base,
        "sign_url": base + reverse("signer:sign"),
        "sts_url": base + reverse("signer:sts"),
        "token_ttl_hours": settings.SIGNER_TOKEN_TTL_HOURS,
    }


@demo_view
def my_access(request: HttpRequest) -> HttpResponse:
    return render(request, "demo/access.html", _access_context(request))


@login_required
@never_cache
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    """Create an API token and show it once: the page answers the POST directly, nothing stores the token."""
    user = request.user
    if not user.is_authenticated:  # login_required lets no one else in; this tells the type checker so
        raise PermissionDenied
    token, _expiry = services.token_create(user=user)
    context = _access_context(request)
    context["new_token"] = token
    response = render(request, "demo/access.html", context, status=201)
    response["Cache-Control"] = "no-store"
    return response


def _token_for_user(request: HttpRequest, token_key: str) -> AuthToken:
    """The signed-in user's API token with this key; 404 for anyone else's, so keys cannot be probed."""
    token = AuthToken.objects.filter(user=request.user, token_key=token_key).first() if token_key else None
    if token is None:
        raise Http404("No such token")
    return token


@login_required
@never_cache
@require_POST
def revoke_token(request: HttpRequest) -> HttpResponse:
    token_key = request.POST.get("token_key", "")
    token = _token_for_user(request, token_key)
    services.token_revoke(token=token)
    messages.success(
        request, _("Token %(token)s… revoked: apps using it are refused from now on.") % {"token": token_key}
    )
    return redirect("demo:access")
