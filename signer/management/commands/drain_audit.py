"""`manage.py drain_audit`: write the audit rows waiting in the Redis outbox to the database now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from signer import audit


class Command(BaseCommand):
    help = (
        "Write audit rows waiting in the outbox (SIGNER_AUDIT=outbox) to the database, with batches left by "
        "workers that died while writing them (a batch written twice is stored once). Workers drain on their own "
        "every SIGNER_AUDIT_DRAIN_INTERVAL seconds; run this after stopping them all, or with the interval at 0."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not audit.outbox_enabled():
            self.stdout.write(
                _("SIGNER_AUDIT is 'database': rows are written as they are delivered, nothing to drain.")
            )
            return
        written = audit.drain(adopt_after=0)
        self.stdout.write(
            _("Wrote %(count)d audit row(s); %(pending)d waiting.") % {"count": written, "pending": audit.pending()}
        )
