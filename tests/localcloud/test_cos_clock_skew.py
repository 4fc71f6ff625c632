"""A request signed outside its time window gets COS's answer, which cos-js-sdk-v5 uses to correct its clock: 403 with
code RequestTimeTooSkewed (a window starting too far ahead) or AccessDenied "Request has expired" (a window that has
ended; the SDK compares the message whole), and the server's time in a `Date` header that the bucket's CORS rule
exposes to the page. At the wire, with a browser's Origin."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import pytest
import requests
from qcloud_cos import CosS3Client

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.server import RunningServer
from qcloud.cos_signature import make_authorization
from tests.cos_sdk import bucket_host
from tests.localcloud.conftest import REGION

ORIGIN = "http://portal.example"


@pytest.fixture
def cors_bucket(root: CosS3Client, bucket: str) -> str:
    root.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRule": [
                {
                    "AllowedOrigin": [ORIGIN],
                    "AllowedMethod": ["GET", "PUT"],
                    "AllowedHeader": ["*"],
                    "ExposeHeader": ["ETag", "Content-Length", "x-cos-request-id", "Date"],
                }
            ]
        },
    )
    root.put_object(Bucket=bucket, Key="timed.txt", Body=b"t")
    return bucket


def signed_get(localcloud: RunningServer, bucket: str, start: int, expires: int = 900) -> requests.Response:
    host = bucket_host(localcloud, bucket)
    authorization = make_authorization(
        DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "GET", "timed.txt", {}, {"host": host}, start, expires
    )
    return requests.get(
        f"{localcloud.url}/cos/{REGION}/{bucket}/timed.txt",
        headers={"Authorization": authorization, "Origin": ORIGIN},
        timeout=10,
    )


def assert_server_time_exposed(response: requests.Response) -> None:
    server_time = parsedate_to_datetime(response.headers["Date"]).timestamp()
    assert abs(server_time - time.time()) < 5
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = [name.strip().lower() for name in response.headers["Access-Control-Expose-Headers"].split(",")]
    assert "date" in exposed


def test_it_answers_a_signature_from_a_fast_clock_with_request_time_too_skewed(
    localcloud: RunningServer, cors_bucket: str
) -> None:
    response = signed_get(localcloud, cors_bucket, int(time.time()) + 20 * 60)
    assert response.status_code == 403
    assert "<Code>RequestTimeTooSkewed</Code>" in response.text
    assert_server_time_exposed(response)


def test_it_answers_an_ended_signature_with_request_has_expired_exactly(
    localcloud: RunningServer, cors_bucket: str
) -> None:
    response = signed_get(localcloud, cors_bucket, int(time.time()) - 2 * 3600, expires=900)
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert "<Message>Request has expired</Message>" in response.text
    assert_server_time_exposed(response)


def test_it_serves_a_signature_inside_its_window(localcloud: RunningServer, cors_bucket: str) -> None:
    response = signed_get(localcloud, cors_bucket, int(time.time()) - 30)
    assert response.status_code == 200
    assert response.content == b"t"
