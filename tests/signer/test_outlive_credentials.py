"""An upload that outlives its credentials: the app asks /sts again when COS says they have expired, hands the new
ones to cos-python-sdk-v5 (`CosConfig.set_credential`) and the multipart upload goes on with the same upload id.

cos-python-sdk-v5 5.1.9.44 also takes a `CredentialInstance` (an object with secret_id, secret_key and token that it
reads per request), but it signs with the instance's keys without sending the instance's token: with temporary
credentials every request would be refused. Refreshing through set_credential is what works."""

from __future__ import annotations

import time
from typing import Any

import pytest
import time_machine
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.server import RunningServer
from tests.cos_sdk import cos_client
from tests.factories import DEMO_BUCKET
from tests.signer.conftest import Api

MiB = 1024 * 1024


def fresh_credentials(api: Api, token: str) -> dict[str, Any]:
    response = api.get("/sts", token=token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_multipart_upload_outlives_its_credentials(
    api: Api, cloud: RunningServer, alice_token: str, bucket: str
) -> None:
    first = fresh_credentials(api, alice_token)
    creds = first["credentials"]
    client: CosS3Client = cos_client(cloud, creds["tmpSecretId"], creds["tmpSecretKey"], creds["sessionToken"])
    key = f"users/alice/long-{time.time_ns()}.bin"
    parts = [bytes([n]) * MiB for n in (1, 2, 3)]
    upload_id = client.create_multipart_upload(Bucket=DEMO_BUCKET, Key=key)["UploadId"]
    etags = [client.upload_part(Bucket=DEMO_BUCKET, Key=key, Body=parts[0], PartNumber=1, UploadId=upload_id)["ETag"]]

    # The transfer of the next parts takes longer than the credentials live.
    later = first["expiredTime"] + 60
    with time_machine.travel(later, tick=True):
        with pytest.raises(CosServiceError) as expired:
            client.upload_part(Bucket=DEMO_BUCKET, Key=key, Body=parts[1], PartNumber=2, UploadId=upload_id)
        assert (expired.value.get_status_code(), expired.value.get_error_code()) == (403, "AccessDenied")

        second = fresh_credentials(api, alice_token)
        assert second["credentials"]["tmpSecretId"] != creds["tmpSecretId"]
        assert second["expiredTime"] > later
        renewed = second["credentials"]
        client.get_conf().set_credential(renewed["tmpSecretId"], renewed["tmpSecretKey"], renewed["sessionToken"])
        for number in (2, 3):
            etags.append(
                client.upload_part(
                    Bucket=DEMO_BUCKET, Key=key, Body=parts[number - 1], PartNumber=number, UploadId=upload_id
                )["ETag"]
            )
        listed = {"Part": [{"PartNumber": str(n), "ETag": etag} for n, etag in enumerate(etags, start=1)]}
        client.complete_multipart_upload(Bucket=DEMO_BUCKET, Key=key, UploadId=upload_id, MultipartUpload=listed)
        stored = client.get_object(Bucket=DEMO_BUCKET, Key=key)["Body"].get_raw_stream().read()
    assert stored == b"".join(parts)
