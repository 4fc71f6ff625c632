"""GetBucket through cos-python-sdk-v5: prefixes, delimiters, markers, paging across 2,500 keys, encoding-type=url."""

from __future__ import annotations

import pytest
import requests
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from bench.fixtures import seed
from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from qcloud.cos_signature import make_authorization
from tests.cos_sdk import bucket_host
from tests.localcloud.conftest import REGION, cos_error, parse_xml


def fill(localcloud: RunningServer, bucket: str, keys: list[str]) -> None:
    """Many objects, fast: straight through the storage layer (the listing is what is under test)."""
    assert seed(localcloud.app.cos.storage, bucket, ((key, key.encode()) for key in keys)) == len(keys)


def test_it_pages_through_2500_keys_in_order_without_duplicates(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    keys = [f"photos/{i:05d}-é+ {i % 7}.jpg" for i in range(2500)]
    fill(localcloud, bucket, keys)

    seen: list[str] = []
    marker = ""
    pages = 0
    while True:
        page = root.list_objects(Bucket=bucket, Prefix="photos/", Marker=marker, MaxKeys=1000)
        seen.extend(item["Key"] for item in page.get("Contents", []))
        pages += 1
        if page["IsTruncated"] == "false":
            break
        assert page["IsTruncated"] == "true"
        marker = page["NextMarker"]
    assert pages == 3
    assert seen == sorted(keys, key=lambda k: k.encode())
    assert len(set(seen)) == 2500


def test_it_groups_common_prefixes_with_a_delimiter(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    fill(
        localcloud,
        bucket,
        ["top.txt", "users/alice/a.txt", "users/alice/b/c.txt", "users/bob/x.txt", "users/carol.txt", "users/"],
    )
    top = root.list_objects(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["users/"]
    assert [c["Key"] for c in top["Contents"]] == ["top.txt"]

    users = root.list_objects(Bucket=bucket, Prefix="users/", Delimiter="/")
    assert [p["Prefix"] for p in users["CommonPrefixes"]] == ["users/alice/", "users/bob/"]
    assert [c["Key"] for c in users["Contents"]] == ["users/", "users/carol.txt"]

    # Paging one entry at a time visits each common prefix once.
    entries: list[str] = []
    marker = ""
    while True:
        page = root.list_objects(Bucket=bucket, Prefix="users/", Delimiter="/", Marker=marker, MaxKeys=1)
        entries += [p["Prefix"] for p in page.get("CommonPrefixes", [])] + [c["Key"] for c in page.get("Contents", [])]
        if page["IsTruncated"] == "false":
            break
        marker = page["NextMarker"]
    assert entries == ["users/", "users/alice/", "users/bob/", "users/carol.txt"]


def test_it_url_encodes_keys_when_asked(localcloud: RunningServer, bucket: str) -> None:
    fill(localcloud, bucket, ["dir a/b+c%d.txt"])
    host = bucket_host(localcloud, bucket)
    params = {"encoding-type": "url", "prefix": "dir a/"}
    auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "", params=params, headers={"host": host})
    response = requests.get(
        f"{localcloud.url}/cos/{REGION}/{bucket}/", params=params, headers={"Authorization": auth}, timeout=10
    )
    assert response.status_code == 200, response.text
    root = parse_xml(response.content)
    assert root.findtext("Prefix") == "dir%20a/"
    assert root.findtext("Contents/Key") == "dir%20a/b%2Bc%25d.txt"
    assert root.findtext("IsTruncated") == "false"

    plain = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "", headers={"host": host})
    raw = requests.get(f"{localcloud.url}/cos/{REGION}/{bucket}/", headers={"Authorization": plain}, timeout=10)
    assert parse_xml(raw.content).findtext("Contents/Key") == "dir a/b+c%d.txt"


def test_it_limits_max_keys(root: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as excinfo:
        root.list_objects(Bucket=bucket, MaxKeys=1001)
    assert cos_error(excinfo)[:2] == (400, "InvalidArgument")
    empty = root.list_objects(Bucket=bucket)
    assert empty["IsTruncated"] == "false"
    assert "Contents" not in empty


def test_it_pages_a_delimiter_listing_over_many_folders_in_order(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    # 2,500 folders of 3 keys (more than one scan batch each way) with loose files between them, plus a folder whose
    # name sorts right after another's ("f00010/" vs "f00010-x/"): every folder once, in byte order, across pages.
    keys = [f"data/f{f:05d}/{n}.txt" for f in range(2500) for n in range(3)]
    keys += [f"data/f{f:05d}.txt" for f in range(0, 2500, 250)] + ["data/f00010-x/a", "data/zz.txt", "other/x"]
    fill(localcloud, bucket, keys)
    expected = sorted(
        {"data/" + k[5:].split("/")[0] + "/" if k[5:].count("/") else k for k in keys if k.startswith("data/")},
        key=lambda k: k.encode(),
    )

    entries: list[str] = []
    marker = ""
    pages = 0
    while True:
        page = root.list_objects(Bucket=bucket, Prefix="data/", Delimiter="/", Marker=marker, MaxKeys=1000)
        got = [p["Prefix"] for p in page.get("CommonPrefixes", [])] + [c["Key"] for c in page.get("Contents", [])]
        assert len(got) == 1000 or page["IsTruncated"] == "false"
        entries += got
        pages += 1
        if page["IsTruncated"] == "false":
            break
        marker = page["NextMarker"]
        assert marker == max(got, key=lambda k: k.encode())
    assert pages == 3
    assert sorted(entries, key=lambda k: k.encode()) == expected
    assert len(entries) == len(set(entries)) == 2500 + 1 + 10 + 1
