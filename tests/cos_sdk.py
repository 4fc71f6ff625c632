"""cos-python-sdk-v5 pointed at a localcloud, the way demo/cos.py configures it. Plain Python: no Django needed."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

from qcloud_cos import CosConfig, CosS3Client

from localcloud.config import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from localcloud.credentials import IssuedCredentials

REGION = "ap-guangzhou"


class Address(Protocol):
    host: str
    port: int


def cos_client(
    server: Address,
    secret_id: str = DEFAULT_SECRET_ID,
    secret_key: str = DEFAULT_SECRET_KEY,
    token: str | None = None,
    region: str = REGION,
    *,
    retry: int = 1,
    **extra: Any,
) -> CosS3Client:
    """IP/Port for bucket requests (the SDK sends the virtual-host Host header) plus ServiceDomain for GetService,
    which otherwise goes to service.cos.myqcloud.com even in IP mode. The root keys by default."""
    config = CosConfig(
        Region=region,
        SecretId=secret_id,
        SecretKey=secret_key,
        Token=token,
        Scheme="http",
        IP=server.host,
        Port=server.port,
        ServiceDomain=f"{server.host}:{server.port}",
        **extra,
    )
    return CosS3Client(config, retry=retry)


def bucket_host(server: Address, bucket: str, region: str = REGION) -> str:
    """`<bucket>.cos.<region>.localhost:<port>`: the bucket's virtual host at that localcloud, what a browser sends as
    Host and what a path-style request (`/cos/<region>/<bucket>/<key>`) must sign as `host` to bind its bucket."""
    return f"{bucket}.cos.{region}.localhost:{server.port}"


def bucket_url(server: Address, bucket: str, region: str = REGION) -> str:
    """`http://<bucket>.cos.<region>.localhost:<port>`: where a browser reaches the bucket (Python cannot resolve it:
    send to server's address with Host bucket_host() instead)."""
    return f"http://{bucket_host(server, bucket, region)}"


def presigned_download(keys: IssuedCredentials, domain: str, bucket: str, key: str, region: str = REGION) -> str:
    """A presigned GET from cos-python-sdk-v5 for `bucket` at `domain` (Domain mode signs the host, without port),
    with the temporary keys' token appended as COS expects (the SDK leaves it out of a presigned URL)."""
    config = CosConfig(
        Region=region,
        SecretId=keys.secret_id,
        SecretKey=keys.secret_key,
        Token=keys.token,
        Scheme="http",
        Domain=domain,
    )
    url: str = CosS3Client(config).get_presigned_download_url(Bucket=bucket, Key=key, Expired=300)
    return url + "&x-cos-security-token=" + quote(keys.token, safe="")
