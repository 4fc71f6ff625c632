"""System checks: secrets must be encryptable at rest in tencent mode; the audit mode must fit the cache."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from signer import crypto


@register(Tags.security)
def check_secrets_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    keys = list(getattr(settings, "PORTAL_SECRETS_KEYS", []) or [])
    if not keys:
        if settings.LOCAL_MODE:
            return []
        return [
            Error(
                "PORTAL_SECRETS_KEYS is not set: cloud SecretKeys cannot be encrypted at rest.",
                hint="Set PORTAL_SECRETS_KEYS (or PORTAL_SECRETS_KEYS_FILE) to comma-separated Fernet keys: "
                'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"',
                id="signer.E001",
            )
        ]
    try:
        crypto.fernet()
    except crypto.SecretsKeyError as exc:
        return [Error(str(exc), hint="Generate keys with Fernet.generate_key().", id="signer.E002")]
    return []


@register()
def check_audit(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    mode = getattr(settings, "SIGNER_AUDIT", "database")
    if mode not in {"database", "outbox"}:
        return [Error(f"SIGNER_AUDIT is {mode!r}.", hint='Use "outbox" or "database".', id="signer.E003")]
    if mode == "outbox" and not settings.CACHES["default"]["BACKEND"].startswith("django_redis."):
        return [
            Error(
                'SIGNER_AUDIT is "outbox", which keeps audit rows in Redis, but the default cache is not Redis.',
                hint='Set REDIS_URL, or SIGNER_AUDIT="database".',
                id="signer.E004",
            )
        ]
    return []
