"""Buckets and their CORS rules through cos-python-sdk-v5; preflights and CORS headers as a browser sees them."""

from __future__ import annotations

import pytest
import requests
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from qcloud.cos_signature import make_authorization
from tests.cos_sdk import bucket_host
from tests.localcloud.conftest import REGION, cos_client, cos_error, new_bucket_name

PORTAL = "http://127.0.0.1:8000"
CORS_RULE = {
    "CORSRule": [
        {
            "ID": "portal",
            "AllowedOrigin": [PORTAL],
            "AllowedMethod": ["GET", "PUT", "POST", "DELETE", "HEAD"],
            "AllowedHeader": ["authorization", "content-type", "content-md5", "x-cos-*", "cache-control"],
            "ExposeHeader": ["ETag", "Content-Length", "x-cos-request-id", "Date"],
            "MaxAgeSeconds": "600",
        }
    ]
}


def test_it_creates_lists_heads_and_deletes_buckets(root: CosS3Client) -> None:
    name = new_bucket_name("life")
    root.create_bucket(Bucket=name)

    listed = root.list_buckets()["Buckets"]["Bucket"]
    mine = [b for b in (listed if isinstance(listed, list) else [listed]) if b["Name"] == name]
    assert len(mine) == 1
    assert mine[0]["Location"] == REGION
    assert mine[0]["CreationDate"].endswith("Z")

    head = root.head_bucket(Bucket=name)
    assert head["x-cos-bucket-region"] == REGION

    root.put_object(Bucket=name, Key="keep.txt", Body=b"x")
    with pytest.raises(CosServiceError) as excinfo:
        root.delete_bucket(Bucket=name)
    assert cos_error(excinfo)[:2] == (409, "BucketNotEmpty")

    root.delete_object(Bucket=name, Key="keep.txt")
    root.delete_bucket(Bucket=name)
    with pytest.raises(CosServiceError) as excinfo:
        root.head_bucket(Bucket=name)
    assert cos_error(excinfo)[0] == 404
    with pytest.raises(CosServiceError) as excinfo:
        root.list_objects(Bucket=name)
    assert cos_error(excinfo)[:2] == (404, "NoSuchBucket")


def test_it_refuses_an_existing_or_invalid_bucket_name(
    localcloud: RunningServer, root: CosS3Client, bucket: str
) -> None:
    with pytest.raises(CosServiceError) as excinfo:
        root.create_bucket(Bucket=bucket)
    assert cos_error(excinfo)[:2] == (409, "BucketAlreadyOwnedByYou")

    for bad in ["noappid", "x" * 51 + "-1250000000", "wrongappid-1300000000"]:
        with pytest.raises(CosServiceError) as excinfo:
            root.create_bucket(Bucket=bad)
        status, code, message = cos_error(excinfo)
        assert (status, code) == (400, "InvalidBucketName"), bad
        assert message

    # Names the SDK itself refuses to send, through the path style.
    for bad in ["under_score-1250000000", "-lead-1250000000", "Upper-1250000000"]:
        auth = make_authorization(
            DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "PUT", "", headers={"host": bucket_host(localcloud, bad)}
        )
        response = requests.put(f"{localcloud.url}/cos/{REGION}/{bad}/", headers={"Authorization": auth}, timeout=10)
        assert response.status_code == 400, bad
        assert "<Code>InvalidBucketName</Code>" in response.text


def test_it_finds_a_bucket_only_in_its_region(localcloud: RunningServer, bucket: str) -> None:
    elsewhere = cos_client(localcloud, region="ap-beijing")
    with pytest.raises(CosServiceError) as excinfo:
        elsewhere.list_objects(Bucket=bucket)
    status, code, message = cos_error(excinfo)
    assert (status, code) == (404, "NoSuchBucket")
    assert REGION in message


def test_it_keeps_replaces_and_deletes_cors_rules(root: CosS3Client, bucket: str) -> None:
    with pytest.raises(CosServiceError) as excinfo:
        root.get_bucket_cors(Bucket=bucket)
    assert cos_error(excinfo)[:2] == (404, "NoSuchCORSConfiguration")

    root.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS_RULE)
    rules = root.get_bucket_cors(Bucket=bucket)["CORSRule"]
    rule = rules[0] if isinstance(rules, list) else rules
    assert rule["AllowedOrigin"] == [PORTAL]
    assert "x-cos-request-id" in rule["ExposeHeader"]
    assert rule["MaxAgeSeconds"] == "600"

    root.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(CosServiceError) as excinfo:
        root.get_bucket_cors(Bucket=bucket)
    assert cos_error(excinfo)[:2] == (404, "NoSuchCORSConfiguration")


def test_it_answers_preflights_from_the_bucket_rules(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    root.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS_RULE)
    url = f"{localcloud.url}/cos/{REGION}/{bucket}/users/alice/photo.jpg"

    allowed = requests.options(
        url,
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type,x-cos-security-token",
        },
        timeout=10,
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == PORTAL
    assert "PUT" in allowed.headers["Access-Control-Allow-Methods"]
    assert "x-cos-security-token" in allowed.headers["Access-Control-Allow-Headers"]
    assert allowed.headers["Access-Control-Max-Age"] == "600"
    assert "ETag" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Private-Network" not in allowed.headers

    # Chromium asks before a page on another address space may reach localcloud on loopback.
    private = requests.options(
        url,
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Private-Network": "true",
        },
        timeout=10,
    )
    assert private.status_code == 200
    assert private.headers["Access-Control-Allow-Private-Network"] == "true"

    other_origin = requests.options(
        url, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}, timeout=10
    )
    assert other_origin.status_code == 403
    assert "Access-Control-Allow-Origin" not in other_origin.headers

    odd_header = requests.options(
        url,
        headers={"Origin": PORTAL, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-evil"},
        timeout=10,
    )
    assert odd_header.status_code == 403


def test_it_denies_preflights_on_a_bucket_without_rules(localcloud: RunningServer, bucket: str) -> None:
    response = requests.options(
        f"{localcloud.url}/cos/{REGION}/{bucket}/k", headers={"Origin": PORTAL, "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 403
    assert response.headers["x-cos-request-id"]


def test_it_adds_cors_headers_to_actual_responses(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    root.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS_RULE)
    root.put_object(Bucket=bucket, Key="shared.txt", Body=b"shared")
    host = bucket_host(localcloud, bucket)
    auth = make_authorization(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "shared.txt", headers={"host": host})

    response = requests.get(
        f"{localcloud.url}/cos/{REGION}/{bucket}/shared.txt",
        headers={"Authorization": auth, "Origin": PORTAL},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == PORTAL
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]

    # Errors carry them too, so page scripts can read why a request failed.
    denied = requests.get(f"{localcloud.url}/cos/{REGION}/{bucket}/shared.txt", headers={"Origin": PORTAL}, timeout=10)
    assert denied.status_code == 403
    assert denied.headers["Access-Control-Allow-Origin"] == PORTAL

    stranger = requests.get(
        f"{localcloud.url}/cos/{REGION}/{bucket}/shared.txt",
        headers={"Authorization": auth, "Origin": "https://evil.example"},
        timeout=10,
    )
    assert stranger.status_code == 200
    assert "Access-Control-Allow-Origin" not in stranger.headers
