"""`manage.py prune_audit --days N`: delete audit rows (IssuedCredential deliveries, Refusal rows) older than N days."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from signer import services


class Command(BaseCommand):
    help = "Delete audit rows (deliveries and refusals) older than --days days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, required=True, help="Keep this many days of audit.")

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["days"]
        if days < 0:
            self.stderr.write(_("--days must be zero or more"))
            raise SystemExit(2)
        deleted = services.audit_prune(days=days)
        self.stdout.write(
            _("Deleted %(count)d audit row(s) older than %(days)d day(s).") % {"count": deleted, "days": days}
        )
