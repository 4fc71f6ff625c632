"""System checks: the signer refuses to start in tencent mode without a way to encrypt cloud secrets."""

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
