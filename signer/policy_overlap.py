"""Two policies of equal priority for one user: which would be their default is then a matter of names, not of
the admin's intent, so the policy editor refuses to save it (direct assignments and groups alike)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q

from signer.models import AccessPolicy


def _members(user_ids: Iterable[int], groups: Iterable[Group]) -> set[int]:
    via_groups = get_user_model().objects.filter(groups__in=list(groups)).values_list("pk", flat=True)
    return set(user_ids) | set(via_groups)


def equal_priority_conflict(
    *, policy_id: int | None, priority: int, user_ids: Iterable[int], groups: Iterable[Group]
) -> tuple[AccessPolicy, str] | None:
    """Another policy of the same priority that one of these users (direct or through a group) also has, and that
    user's name; None when there is none."""
    members = _members(user_ids, groups)
    if not members:
        return None
    others = AccessPolicy.objects.filter(priority=priority)
    if policy_id is not None:
        others = others.exclude(pk=policy_id)
    clashing = others.filter(Q(users__in=members) | Q(groups__user__in=members)).distinct().order_by("name").first()
    if clashing is None:
        return None
    theirs = _members(clashing.users.values_list("pk", flat=True), clashing.groups.all()) & members
    user = get_user_model().objects.filter(pk__in=theirs).order_by("pk").first()
    return clashing, user.get_username() if user is not None else ""
