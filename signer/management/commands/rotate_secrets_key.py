"""`manage.py rotate_secrets_key`: re-encrypt every stored SecretKey with the first key of PORTAL_SECRETS_KEYS.

Rotation: prepend a new key to PORTAL_SECRETS_KEYS (keep the old one after it), run this, then drop the old key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from signer import services
from signer.crypto import SecretsKeyError


class Command(BaseCommand):
    help = "Re-encrypt every cloud account's SecretKey with the first key of PORTAL_SECRETS_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = services.secrets_rotate()
        except SecretsKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(_("Re-encrypted %(count)d account secret(s) with the first key.") % {"count": count})
        )
