"""CAM conditions judged per request, as COS judges them: `cos:content-length` and `cos:content-type` are those of the
request being authorised (a part for UploadPart, the XML part list for CompleteMultipartUpload), never the total of a
multipart upload or the type it was initiated with. Driven with the real cos-python-sdk-v5."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.credentials import IssuedCredentials
from tests.localcloud.conftest import allow, cos_error, policy, resource

Issue = Callable[..., IssuedCredentials]
TemporaryClient = Callable[..., CosS3Client]
KEY = "users/alice/m.bin"
MiB = 1024 * 1024


def refused(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(CosServiceError) as excinfo:
        call()
    return cos_error(excinfo)[:2]


def upload_actions(bucket: str) -> dict[str, object]:
    return allow(
        ["name/cos:InitiateMultipartUpload", "name/cos:ListParts", "name/cos:AbortMultipartUpload"],
        [resource(bucket, "users/alice/*")],
    )


def test_it_judges_each_part_by_its_own_content_length(
    root: CosS3Client, bucket: str, issue: Issue, temporary_client: TemporaryClient
) -> None:
    limited = policy(
        upload_actions(bucket),
        allow(
            ["name/cos:UploadPart"],
            [resource(bucket, "users/alice/*")],
            {"numeric_less_than_equal": {"cos:content-length": 1000}},
        ),
        allow(["name/cos:CompleteMultipartUpload"], [resource(bucket, "users/alice/*")]),
    )
    alice = temporary_client(issue(limited))
    upload_id = alice.create_multipart_upload(Bucket=bucket, Key=KEY)["UploadId"]

    etag = alice.upload_part(Bucket=bucket, Key=KEY, Body=b"a" * 900, PartNumber=1, UploadId=upload_id)["ETag"]
    assert refused(
        lambda: alice.upload_part(Bucket=bucket, Key=KEY, Body=b"b" * 1100, PartNumber=2, UploadId=upload_id)
    ) == (403, "AccessDenied")

    alice.complete_multipart_upload(
        Bucket=bucket, Key=KEY, UploadId=upload_id, MultipartUpload={"Part": [{"PartNumber": "1", "ETag": etag}]}
    )
    assert root.get_object(Bucket=bucket, Key=KEY)["Body"].get_raw_stream().read() == b"a" * 900


def test_it_judges_a_completion_by_its_own_xml_body_never_by_the_total(
    root: CosS3Client, bucket: str, issue: Issue, temporary_client: TemporaryClient
) -> None:
    """A limit of 1000 bytes on CompleteMultipartUpload lets a 3 MiB object be assembled (its part list is small), and
    a limit of 100 bytes refuses the completion of a 10-byte object (its part list is longer than 100 bytes)."""

    def completion_limited_to(limit: int) -> CosS3Client:
        return temporary_client(
            issue(
                policy(
                    upload_actions(bucket),
                    allow(["name/cos:UploadPart"], [resource(bucket, "users/alice/*")]),
                    allow(
                        ["name/cos:CompleteMultipartUpload"],
                        [resource(bucket, "users/alice/*")],
                        {"numeric_less_than_equal": {"cos:content-length": limit}},
                    ),
                )
            )
        )

    def parts(client: CosS3Client, *bodies: bytes) -> tuple[str, list[dict[str, str]]]:
        upload_id = client.create_multipart_upload(Bucket=bucket, Key=KEY)["UploadId"]
        listed = []
        for number, body in enumerate(bodies, start=1):
            etag = client.upload_part(Bucket=bucket, Key=KEY, Body=body, PartNumber=number, UploadId=upload_id)["ETag"]
            listed.append({"PartNumber": str(number), "ETag": etag})
        return upload_id, listed

    roomy = completion_limited_to(1000)
    upload_id, listed = parts(roomy, b"1" * MiB, b"2" * MiB, b"3" * MiB)
    roomy.complete_multipart_upload(Bucket=bucket, Key=KEY, UploadId=upload_id, MultipartUpload={"Part": listed})
    assert int(root.head_object(Bucket=bucket, Key=KEY)["Content-Length"]) == 3 * MiB

    tight = completion_limited_to(100)
    upload_id, listed = parts(tight, b"tiny object")
    assert refused(
        lambda: tight.complete_multipart_upload(
            Bucket=bucket, Key=KEY, UploadId=upload_id, MultipartUpload={"Part": listed}
        )
    ) == (403, "AccessDenied")


def test_it_judges_each_request_by_its_own_content_type(
    bucket: str, issue: Issue, temporary_client: TemporaryClient
) -> None:
    """A type condition on UploadPart looks at the part request's Content-Type, not at the type given at Initiate."""
    typed = policy(
        upload_actions(bucket),
        allow(
            ["name/cos:UploadPart"],
            [resource(bucket, "users/alice/*")],
            {"string_equal": {"cos:content-type": "application/octet-stream"}},
        ),
    )
    alice = temporary_client(issue(typed))
    upload_id = alice.create_multipart_upload(Bucket=bucket, Key=KEY, ContentType="text/plain")["UploadId"]
    # The part's own type decides: the upload's text/plain does not matter, and a part sent without one is refused.
    alice.upload_part(
        Bucket=bucket, Key=KEY, Body=b"x", PartNumber=1, UploadId=upload_id, ContentType="application/octet-stream"
    )
    assert refused(lambda: alice.upload_part(Bucket=bucket, Key=KEY, Body=b"y", PartNumber=2, UploadId=upload_id)) == (
        403,
        "AccessDenied",
    )
    assert refused(
        lambda: alice.upload_part(
            Bucket=bucket, Key=KEY, Body=b"y", PartNumber=2, UploadId=upload_id, ContentType="image/png"
        )
    ) == (403, "AccessDenied")
