"""Encryption at rest for cloud secrets: MultiFernet over settings.PORTAL_SECRETS_KEYS.

The first key encrypts; every key decrypts, so a key is rotated by prepending a new one, running
`manage.py rotate_secrets_key`, then dropping the old one.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretsKeyError(ImproperlyConfigured):
    pass


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise SecretsKeyError("PORTAL_SECRETS_KEYS is empty: cloud secrets cannot be encrypted or decrypted")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise SecretsKeyError(
            "PORTAL_SECRETS_KEYS holds a value that is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.PORTAL_SECRETS_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise SecretsKeyError(
            "a stored secret cannot be decrypted with any key in PORTAL_SECRETS_KEYS (was a key dropped too early?)"
        ) from exc


def rotate(ciphertext: str) -> str:
    """The same secret, encrypted with the first key."""
    try:
        return fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise SecretsKeyError("a stored secret cannot be decrypted with any key in PORTAL_SECRETS_KEYS") from exc
