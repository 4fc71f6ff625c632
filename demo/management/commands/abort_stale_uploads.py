"""`manage.py abort_stale_uploads --days N [--account NAME] [--bucket B --region R] [--prefix P] [--dry-run]`.

Multipart uploads that were started and never completed keep their parts (and cost storage) until someone aborts
them. Run this from cron to abort those older than N days in the portal's buckets: every bucket each active cloud
account can see, or the one named. It works with the account's own keys through STS, asking for credentials that
may only list and abort uploads; a role-based account can abort only what its role allows (the demo's role: under
`users/`, hence `--prefix users/`).

On Tencent Cloud a bucket lifecycle rule does the same without a cron job: AbortIncompleteMultipartUpload with
DaysAfterInitiation (README, "Unfinished uploads").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from demo import cos
from signer import sts
from signer.errors import StsUnavailable
from signer.logging import register_secret
from signer.models import CloudAccount

DURATION = 900


@dataclass(frozen=True)
class Target:
    region: str
    bucket: str


def cleanup_policy(appid: str) -> dict[str, Any]:
    """Listing buckets and their uploads, and aborting uploads: nothing that reads or writes an object."""
    return {
        "version": "2.0",
        "statement": [
            {"effect": "allow", "action": ["name/cos:GetService"], "resource": ["*"]},
            {
                "effect": "allow",
                "action": ["name/cos:ListMultipartUploads", "name/cos:AbortMultipartUpload"],
                "resource": [f"qcs::cos:*:uid/{appid}:*"],
            },
        ],
    }


class Command(BaseCommand):
    help = "Abort multipart uploads older than --days in the portal's buckets (for a cron job)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, required=True, help="abort uploads initiated more than this ago")
        parser.add_argument("--account", help="only this cloud account (by name); default: every active one")
        parser.add_argument("--bucket", help="only this bucket (full name, with --region)")
        parser.add_argument("--region", help="the region of --bucket")
        parser.add_argument("--prefix", default="", help="only uploads of keys under this prefix")
        parser.add_argument("--dry-run", action="store_true", help="list what would be aborted, abort nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["days"]
        if days < 0:
            raise CommandError("--days must be zero or more")
        if bool(options["bucket"]) != bool(options["region"]):
            raise CommandError("--bucket and --region go together")
        accounts = CloudAccount.objects.filter(is_active=True)
        if options["account"]:
            accounts = accounts.filter(name=options["account"])
            if not accounts.exists():
                raise CommandError(f"no active cloud account named {options['account']!r}")
        cutoff = timezone.now() - timedelta(days=days)
        total = 0
        for account in accounts.order_by("name"):
            keys = self._keys(account)
            targets = (
                [Target(options["region"], options["bucket"])]
                if options["bucket"]
                else [Target(b.region, b.name) for b in cos.list_buckets(keys)]
            )
            for target in targets:
                total += self._clean(keys, target, prefix=options["prefix"], cutoff=cutoff, dry_run=options["dry_run"])
        verb = "would abort" if options["dry_run"] else "aborted"
        self.stdout.write(f"{verb} {total} upload(s) initiated before {cutoff:%Y-%m-%d %H:%M} UTC")

    def _keys(self, account: CloudAccount) -> cos.Keys:
        try:
            creds = sts.credentials_for_account(
                account=account, policy=cleanup_policy(account.appid), duration=DURATION, username="abort-stale-uploads"
            )
        except (sts.StsError, StsUnavailable) as exc:
            raise CommandError(f"account {account.name!r}: STS refused the cleanup credentials: {exc}") from exc
        register_secret(creds.tmp_secret_key, creds.session_token)
        return cos.Keys(creds.tmp_secret_id, creds.tmp_secret_key, creds.session_token)

    def _clean(self, keys: cos.Keys, target: Target, *, prefix: str, cutoff: Any, dry_run: bool) -> int:
        try:
            uploads = cos.list_multipart_uploads(keys, region=target.region, bucket=target.bucket, prefix=prefix)
        except cos.CosError as exc:
            self.stderr.write(f"{target.bucket}: cannot list uploads: {exc.code}: {exc.message}")
            return 0
        count = 0
        for upload in uploads:
            if upload.initiated is None or upload.initiated >= cutoff:
                continue
            where = f"{target.bucket}/{upload.key} ({upload.upload_id}, initiated {upload.initiated:%Y-%m-%d %H:%M})"
            if dry_run:
                self.stdout.write(f"would abort {where}")
                count += 1
                continue
            try:
                cos.abort_multipart_upload(
                    keys, region=target.region, bucket=target.bucket, key=upload.key, upload_id=upload.upload_id
                )
            except cos.CosError as exc:
                if exc.code != "NoSuchUpload":  # completed or aborted meanwhile: nothing left to do
                    self.stderr.write(f"cannot abort {where}: {exc.code}: {exc.message}")
                continue
            self.stdout.write(f"aborted {where}")
            count += 1
        return count
