"""Invalidation of the per-user policy cache (signer.policy_cache) and of what a worker remembers.

Every change that can alter which policy a user resolves to bumps one shared version token, so the next request of
every user, in every worker, reads the database again: a policy, account or group saved or deleted, and a change to
AccessPolicy.users, AccessPolicy.groups or User.groups. The bump happens at once and again when the surrounding
transaction commits (a request that read the old rows between the two cannot keep them past the second bump).
Bulk `QuerySet.update()` sends no signals: code that changes these tables that way must call
`policy_cache.policy_cache_bump()` itself (nothing in the portal does).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from signer.models import AccessPolicy, CloudAccount
from signer.policy_cache import policy_cache_bump


def _bump() -> None:
    policy_cache_bump()
    transaction.on_commit(policy_cache_bump)


@receiver(post_save, sender=AccessPolicy, dispatch_uid="signer-policy-saved")
@receiver(post_delete, sender=AccessPolicy, dispatch_uid="signer-policy-deleted")
@receiver(post_save, sender=CloudAccount, dispatch_uid="signer-account-saved")
@receiver(post_delete, sender=CloudAccount, dispatch_uid="signer-account-deleted")
@receiver(post_save, sender=Group, dispatch_uid="signer-group-saved")
@receiver(post_delete, sender=Group, dispatch_uid="signer-group-deleted")
def _row_changed(sender: Any, **kwargs: Any) -> None:
    _bump()


@receiver(m2m_changed, sender=AccessPolicy.users.through, dispatch_uid="signer-policy-users")
@receiver(m2m_changed, sender=AccessPolicy.groups.through, dispatch_uid="signer-policy-groups")
@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="signer-user-groups")
def _membership_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _bump()


@receiver(setting_changed, dispatch_uid="signer-caches-changed")
def _caches_changed(setting: str, **kwargs: Any) -> None:
    """A different cache (tests switch them) must not be shadowed by what a worker remembers of the previous one."""
    if setting == "CACHES":
        from signer.credential_cache import credential_memo_clear
        from signer.policy_cache import policy_memo_clear
        from signer.revocation import epoch_memo_clear
        from signer.services import render_memo_clear

        credential_memo_clear()
        epoch_memo_clear()
        policy_memo_clear()
        render_memo_clear()
