"""Reads: which policy a user gets (through the policy cache), and what a policy decides for one request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from qcloud import policy as cam
from signer.errors import NoPolicy, UnknownPolicy
from signer.models import AccessPolicy
from signer.policy_cache import in_worker, remembered
from signer.scopes import Scope, scope_resources, scope_validate


def _assigned(user: AbstractBaseUser | AnonymousUser) -> QuerySet[AccessPolicy]:
    return (
        AccessPolicy.objects.filter(Q(users=user) | Q(groups__user=user))
        .select_related("account")
        .distinct()
        .order_by("-priority", "name")
    )


def policies_for_user(user: AbstractBaseUser | AnonymousUser, *, version: str | None = None) -> list[AccessPolicy]:
    """Every policy assigned to the user directly or through a group, the default first (cached per user).

    The query joins five tables and costs ~1 ms of PostgreSQL planning per request (bench/RESULTS.md), so the
    result is kept per user in the shared cache and invalidated by signals (signer/signals.py): a policy edit, an
    account change or a membership change is seen by the very next request, in every worker.
    """
    if not user.is_authenticated:
        anonymous = anonymous_policy()
        return [anonymous] if anonymous is not None else []
    return remembered(str(user.pk), lambda: list(_assigned(user)), version)


def anonymous_policy() -> AccessPolicy | None:
    name = settings.SIGNER_ANONYMOUS_POLICY
    if not name:
        return None
    ident = f"anonymous:{hashlib.sha256(name.encode()).hexdigest()[:32]}"
    found = remembered(ident, lambda: list(AccessPolicy.objects.select_related("account").filter(name=name)[:1]))
    return found[0] if found else None


def policy_remembered(user: AbstractBaseUser, name: str | None = None) -> tuple[AccessPolicy, str] | None:
    """What `policy_for_user` would answer from this worker's memory alone, and the policy cache version it holds
    for: None when the worker holds nothing for the user, or the answer would be an error. Valid only while that
    version is current (the caller checks)."""
    held = in_worker(str(user.pk))
    if held is None:
        return None
    version, policies = held
    chosen = [policy for policy in policies if policy.name == name] if name else policies[:1]
    return (chosen[0], version) if chosen else None


def policy_for_user(
    user: AbstractBaseUser | AnonymousUser, name: str | None = None, *, version: str | None = None
) -> AccessPolicy:
    """The policy named `name` if the user has it, else the user's default (highest priority).

    NoPolicy when the user has none; UnknownPolicy when `name` is not one of theirs (whether or not it exists, so
    policy names cannot be probed).
    """
    policies = policies_for_user(user, version=version)
    if name:
        for policy in policies:
            if policy.name == name:
                return policy
        raise UnknownPolicy(format_lazy(gettext_lazy("no policy named {name} is assigned to you"), name=repr(name)))
    if not policies:
        if not user.is_authenticated:
            raise NoPolicy(
                gettext_lazy("no access policy is assigned to anonymous callers: ask an administrator for one")
            )
        raise NoPolicy(gettext_lazy("no access policy is assigned to you: ask an administrator for one"))
    return policies[0]


@dataclass(frozen=True)
class Simulation:
    explanation: cam.Explanation  # the decision, and the statements and conditions behind it
    policy: AccessPolicy
    rendered: cam.Policy
    action: str
    resources: list[str]

    @property
    def decision(self) -> cam.Decision:
        return self.explanation.decision


def policy_simulate(
    *,
    user: AbstractBaseUser,
    action: str,
    region: str,
    bucket: str,
    key: str = "",
    access_policy: AccessPolicy | None = None,
    context: cam.RequestContext | None = None,
) -> Simulation:
    """What a policy decides for one request by `user` (the admin's policy simulator).

    `access_policy` defaults to the user's default policy; any policy may be tried, assigned to the user or not.
    """
    if access_policy is None:
        assigned = policies_for_user(user)
        if not assigned:
            raise NoPolicy(
                format_lazy(
                    gettext_lazy("{user} has no access policy (directly or through a group)"), user=user.get_username()
                )
            )
        access_policy = assigned[0]
    rendered = access_policy.render(user)
    if action == "name/cos:GetService":
        resources = ["*"]
    else:
        scope = Scope(action=action, bucket=bucket, region=region, prefix=key)
        scope_validate(scope)
        resources, _ = scope_resources(scope)
    explanation = cam.explain(rendered, action, resources, context)
    return Simulation(explanation, access_policy, rendered, action, resources)
