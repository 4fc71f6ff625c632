"""`manage.py add_account --name N --secret-id ID --appid A [--region R] [--role-arn ARN]`.

The SecretKey comes from stdin (a prompt without echo when stdin is a terminal) or `--secret-key-file`; it never
appears in argv (so not in `ps` or shell history) and is never printed. Running it again for the same name updates
that account's keys.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qcloud.regions import REGIONS
from signer import services
from signer.models import CloudAccount


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = "Add (or update) a cloud account; the SecretKey is read from stdin or --secret-key-file, never echoed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--secret-id", required=True)
        parser.add_argument("--appid", required=True)
        parser.add_argument("--region", default="ap-guangzhou", choices=list(REGIONS))
        parser.add_argument("--role-arn", default="", help="qcs::cam::uin/<uin>:roleName/<name> to use AssumeRole")
        parser.add_argument("--secret-key-file", help="A file holding the SecretKey (e.g. a Docker secret)")

    def _secret_key(self, path: str | None, stdin: TextIO) -> str:
        if path:
            try:
                return Path(path).read_text().strip()
            except OSError as exc:
                raise CommandError(
                    _("cannot read --secret-key-file %(path)s: %(error)s") % {"path": repr(path), "error": exc.strerror}
                ) from exc
        if stdin.isatty():
            return getpass.getpass(_("SecretKey (not echoed): ")).strip()
        return stdin.readline().strip()

    def handle(self, *args: Any, **options: Any) -> None:
        secret_key = self._secret_key(options.get("secret_key_file"), options.get("stdin") or sys.stdin)
        if not secret_key:
            raise CommandError(_("no SecretKey given: pipe it on stdin or use --secret-key-file"))
        existing = CloudAccount.objects.filter(name=options["name"]).first()
        try:
            if existing is None:
                account = services.account_create(
                    name=options["name"],
                    appid=options["appid"],
                    secret_id=options["secret_id"],
                    secret_key=secret_key,
                    default_region=options["region"],
                    role_arn=options["role_arn"],
                )
                done = _(
                    "Added account %(name)s (AppID %(appid)s, SecretId %(secret_id)s); "
                    "the SecretKey is stored encrypted."
                )
            else:
                existing.appid = options["appid"]
                existing.default_region = options["region"]
                existing.role_arn = options["role_arn"]
                existing.full_clean(exclude=["secret_key_encrypted"])
                services.account_set_secret(account=existing, secret_id=options["secret_id"], secret_key=secret_key)
                account = existing
                done = _(
                    "Updated account %(name)s (AppID %(appid)s, SecretId %(secret_id)s); "
                    "the SecretKey is stored encrypted."
                )
        except ValidationError as exc:
            messages = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError(messages) from exc
        self.stdout.write(
            self.style.SUCCESS(
                done % {"name": repr(account.name), "appid": account.appid, "secret_id": account.masked_secret_id}
            )
        )
