"""The "My access" page: the user's policies in plain words, the one the pages use (chosen here when there are
several), copy-paste examples, and API tokens: named, with a lifetime of the person's choosing, shown once after the
redirect that follows their creation, revoked on confirmation."""

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
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from knox.models import AuthToken

from demo.access import policy_choose, policy_in_use
from demo.describe import describe_policy
from demo.errors import demo_view
from demo.views import portal_origin
from signer import services, tokens
from signer.models import ApiTokenInfo
from signer.selectors import policies_for_user


def _access_context(request: HttpRequest) -> dict[str, Any]:
    policies = []
    in_use = policy_in_use(request)
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
                "in_use": access_policy.name == in_use,
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
    listed = AuthToken.objects.filter(user=request.user).select_related("info").order_by("-created")
    base = portal_origin(request)
    example_bucket = next((p["bucket_hint"] for p in policies if p["bucket_hint"]), None)
    return {
        "example_bucket": example_bucket or f"examplebucket-{policies[0]['appid'] if policies else '1250000000'}",
        "example_region": policies[0]["region"] if policies else "ap-guangzhou",
        "example_key": f"users/{request.user.get_username()}/photo.jpg",
        "policies": policies,
        "policy_in_use": in_use,
        "tokens": listed,
        "lifetimes": lifetime_choices(),
        "token_limit": tokens.token_limit(),
        "base_url": base,
        "sign_url": base + reverse("signer:sign"),
        "sts_url": base + reverse("signer:sts"),
        "token_ttl_hours": settings.SIGNER_TOKEN_TTL_HOURS,
    }


@demo_view
def my_access(request: HttpRequest) -> HttpResponse:
    context = _access_context(request)
    # A token just created is shown this once: taken out of the session as the page is rendered.
    context["new_token"] = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    response = render(request, "demo/access.html", context)
    if context["new_token"]:
        response["Cache-Control"] = "no-store"
    return response


@demo_view
@require_POST
def choose_policy(request: HttpRequest) -> HttpResponse:
    """Make one of the user's policies the one the pages use (their default when none is named); a policy that is
    not theirs is refused (403 UnknownPolicy, shown as a page)."""
    name = policy_choose(request, request.POST.get("policy", "")[:100])
    messages.success(request, _("These pages now use the policy %(name)s.") % {"name": name})
    return redirect(f"{reverse('demo:access')}#policies-title")


LIFETIMES = (1, 24, 24 * 7, 24 * 30, 24 * 90, 24 * 365)


def lifetime_choices() -> list[tuple[int, str]]:
    """The lifetimes a person may choose: the usual ones up to SIGNER_TOKEN_TTL_HOURS, and that maximum."""
    longest = tokens.max_hours()
    hours = sorted({h for h in LIFETIMES if h < longest} | {longest})
    return [(h, describe_hours(h)) for h in hours]


def describe_hours(hours: int) -> str:
    if hours % 24:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = hours // 24
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


NEW_TOKEN_SESSION_KEY = "demo:new-token"  # noqa: S105 - the name of a session key, not a secret


@login_required
@never_cache
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    """Create a named API token, then redirect (a reload creates nothing); the page shows it once, from the session."""
    user = request.user
    if not user.is_authenticated:  # login_required lets no one else in; this tells the type checker so
        raise PermissionDenied
    name = request.POST.get("name", "").strip()[:50] or _("API token")
    try:
        hours = int(request.POST.get("hours") or tokens.max_hours())
    except ValueError:
        hours = tokens.max_hours()
    try:
        token, _expiry = services.token_create(user=user, name=name, hours=hours, retire_oldest=False)
    except tokens.TokenLimitReached:
        messages.error(
            request,
            _("You already have %(count)d API tokens: revoke one you no longer use first.")
            % {"count": tokens.token_limit()},
        )
        return redirect("demo:access")
    request.session[NEW_TOKEN_SESSION_KEY] = token
    return redirect(f"{reverse('demo:access')}#tokens-title")


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
    """Revoke one of the user's tokens, once they have confirmed (the first POST asks)."""
    token_key = request.POST.get("token_key", "")
    token = _token_for_user(request, token_key)
    info = ApiTokenInfo.objects.filter(token=token).first()
    name = info.name if info else token_key
    if request.POST.get("confirm") != "yes":
        return render(request, "demo/token_revoke.html", {"token": token, "name": name})
    services.token_revoke(token=token)
    messages.success(request, _("Token %(name)s revoked: apps using it are refused from now on.") % {"name": name})
    return redirect("demo:access")
