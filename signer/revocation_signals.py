"""What pulls the kill switch by itself: a user, an identity or an identity provider disabled, a password changed,
and what a cut-off must know about: every session a user signs in with."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models import Model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from signer.models import Identity, IdentityProvider
from signer.revocation import access_revoke, session_signed_in, tokens_end

User = get_user_model()


def _remember(instance: Model, *fields: str) -> None:
    """The stored values of `fields`, kept on the instance for its post_save (nothing when it is new)."""
    stored = type(instance)._default_manager.filter(pk=instance.pk).values(*fields).first() if instance.pk else None
    instance._signer_before = stored  # type: ignore[attr-defined]


def _before(instance: Model) -> dict[str, Any] | None:
    before: dict[str, Any] | None = getattr(instance, "_signer_before", None)
    return before


def _touches(kwargs: dict[str, Any], *fields: str) -> bool:
    update_fields = kwargs.get("update_fields")
    return update_fields is None or bool(set(update_fields) & set(fields))


@receiver(pre_save, sender=User, dispatch_uid="signer-user-before")
def _user_before(sender: Any, instance: Any, **kwargs: Any) -> None:
    if _touches(kwargs, "is_active", "password"):
        _remember(instance, "is_active", "password")


@receiver(post_save, sender=User, dispatch_uid="signer-user-saved")
def _user_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    before = _before(instance)
    instance._signer_before = None
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        access_revoke(user=instance, reason="user disabled")
    elif before["password"] != instance.password and tokens_end(instance):
        # Django ends the other sessions itself (the session's auth hash); apps' tokens are ours to end.
        access_revoke(user=instance, reason="password changed", end_sessions=False)


@receiver(pre_save, sender=Identity, dispatch_uid="signer-identity-before")
def _identity_before(sender: Any, instance: Identity, **kwargs: Any) -> None:
    if _touches(kwargs, "is_active"):
        _remember(instance, "is_active")


@receiver(post_save, sender=Identity, dispatch_uid="signer-identity-saved")
def _identity_saved(sender: Any, instance: Identity, **kwargs: Any) -> None:
    before = _before(instance)
    if before is not None and before["is_active"] and not instance.is_active:
        access_revoke(user=instance.user, reason="identity disabled")


@receiver(pre_save, sender=IdentityProvider, dispatch_uid="signer-provider-before")
def _provider_before(sender: Any, instance: IdentityProvider, **kwargs: Any) -> None:
    if _touches(kwargs, "is_active"):
        _remember(instance, "is_active")


@receiver(post_save, sender=IdentityProvider, dispatch_uid="signer-provider-saved")
def _provider_saved(sender: Any, instance: IdentityProvider, **kwargs: Any) -> None:
    before = _before(instance)
    if before is not None and before["is_active"] and not instance.is_active:
        for identity in instance.identities.select_related("user"):
            access_revoke(user=identity.user, reason=f"identity provider {instance.name} disabled")


@receiver(user_logged_in, dispatch_uid="signer-session-signed-in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    session_signed_in(user=user, session_key=getattr(session, "session_key", None))
