"""`manage.py abort_stale_uploads`: unfinished multipart uploads older than N days are aborted in the portal's
buckets, newer ones are left alone; --dry-run aborts nothing. Against localcloud, with the account's own keys."""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime, timedelta

import time_machine
from django.core.management import call_command

from demo import cos
from localcloud.server import RunningServer
from signer.models import CloudAccount
from tests.cos_sdk import cos_client
from tests.factories import REGION


def start_upload(cloud: RunningServer, bucket: str, key: str, *, days_ago: int) -> None:
    """An upload with one part, initiated `days_ago` days ago (localcloud dates it by its clock)."""
    with time_machine.travel(datetime.now(UTC) - timedelta(days=days_ago), tick=True):
        client = cos_client(cloud)
        upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        client.upload_part(Bucket=bucket, Key=key, Body=b"part", PartNumber=1, UploadId=upload_id)


def pending(root: cos.Keys, bucket: str, prefix: str) -> set[str]:
    return {u.key for u in cos.list_multipart_uploads(root, region=REGION, bucket=bucket, prefix=prefix)}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("abort_stale_uploads", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_it_aborts_only_uploads_older_than_the_days_given(
    root: cos.Keys, cloud: RunningServer, account: CloudAccount, bucket: str
) -> None:
    prefix = f"users/alice/stale-{secrets.token_hex(3)}/"
    start_upload(cloud, bucket, f"{prefix}old.bin", days_ago=10)
    start_upload(cloud, bucket, f"{prefix}recent.bin", days_ago=1)
    assert pending(root, bucket, prefix) == {f"{prefix}old.bin", f"{prefix}recent.bin"}

    dry = run("--days", "7", "--dry-run", "--prefix", prefix)
    assert f"would abort {bucket}/{prefix}old.bin" in dry
    assert pending(root, bucket, prefix) == {f"{prefix}old.bin", f"{prefix}recent.bin"}

    done = run("--days", "7", "--prefix", prefix)
    assert f"aborted {bucket}/{prefix}old.bin" in done
    assert "aborted 1 upload(s)" in done
    assert pending(root, bucket, prefix) == {f"{prefix}recent.bin"}


def test_it_can_be_held_to_one_bucket(root: cos.Keys, cloud: RunningServer, account: CloudAccount, bucket: str) -> None:
    prefix = f"users/bob/stale-{secrets.token_hex(3)}/"
    start_upload(cloud, bucket, f"{prefix}old.bin", days_ago=30)
    assert "aborted 1 upload(s)" in run("--days", "7", "--bucket", bucket, "--region", REGION, "--prefix", prefix)
    assert pending(root, bucket, prefix) == set()
