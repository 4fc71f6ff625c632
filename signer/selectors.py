"""Reads: which policy a user gets, which account serves it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from signer.errors import NoPolicy, UnknownPolicy
from signer.models import AccessPolicy, CloudAccount, IssuedCredential


def _assigned(user: AbstractBaseUser | AnonymousUser) -> QuerySet[AccessPolicy]:
    return (
        AccessPolicy.objects.filter(Q(users=user) | Q(groups__user=user))
        .select_related("account")
        .distinct()
        .order_by("-priority", "name")
    )


def policies_for_user(user: AbstractBaseUser | AnonymousUser) -> list[AccessPolicy]:
    """Every policy assigned to the user directly or through a group, the default first."""
    if not user.is_authenticated:
        anonymous = anonymous_policy()
        return [anonymous] if anonymous is not None else []
    return list(_assigned(user))


def anonymous_policy() -> AccessPolicy | None:
    name = settings.SIGNER_ANONYMOUS_POLICY
    if not name:
        return None
    return AccessPolicy.objects.select_related("account").filter(name=name).first()


def policy_for_user(user: AbstractBaseUser | AnonymousUser, name: str | None = None) -> AccessPolicy:
    """The policy named `name` if the user has it, else the user's default (highest priority).

    NoPolicy when the user has none; UnknownPolicy when `name` is not one of theirs (whether or not it exists, so
    policy names cannot be probed).
    """
    policies = policies_for_user(user)
    if name:
        for policy in policies:
            if policy.name == name:
                return policy
        raise UnknownPolicy(f"no policy named {name!r} is assigned to you")
    if not policies:
        who = "anonymous callers" if not user.is_authenticated else "you"
        raise NoPolicy(f"no access policy is assigned to {who}: ask an administrator for one")
    return policies[0]


def account_get(account_id: int) -> CloudAccount:
    return CloudAccount.objects.get(pk=account_id)


def issued_for_user(user: AbstractBaseUser) -> QuerySet[IssuedCredential]:
    return IssuedCredential.objects.filter(user=user).order_by("-created")
