"""imageMogr2 thumbnails through cos-python-sdk-v5 (ci_get_object and presigned URLs), as COS's Cloud Infinite answers
them: resized PNG and JPEG, format conversion, non-images, bounded decoding, and GetObject's policy."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.cos import images
from localcloud.credentials import IssuedCredentials
from localcloud.server import RunningServer
from tests.localcloud.conftest import allow, cos_error, policy, resource

Issue = Callable[..., IssuedCredentials]
MakeClient = Callable[..., CosS3Client]


def picture(fmt: str, size: tuple[int, int] = (400, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def fetch(client: CosS3Client, bucket: str, key: str, rule: str, tmp_path: Path) -> tuple[dict[str, Any], Image.Image]:
    target = tmp_path / "out.bin"
    response = client.ci_get_object(Bucket=bucket, Key=key, DestImagePath=str(target), Rule=rule)
    data = target.read_bytes()
    image = Image.open(io.BytesIO(data))
    image.load()
    return response, image


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("imageMogr2/thumbnail/100x100", (100, 50)),
        ("imageMogr2/thumbnail/100x", (100, 50)),
        ("imageMogr2/thumbnail/x50", (100, 50)),
        ("imageMogr2/thumbnail/!25p", (100, 50)),
        ("imageMogr2/thumbnail/!50px", (200, 200)),
        ("imageMogr2/thumbnail/800x800>", (400, 200)),
        ("imageMogr2/thumbnail/!100x100r", (200, 100)),
        ("imageMogr2/thumbnail/30x40!", (30, 40)),
    ],
)
def test_it_resizes_a_png_as_the_documented_geometries_say(
    root: CosS3Client, bucket: str, tmp_path: Path, rule: str, expected: tuple[int, int]
) -> None:
    root.put_object(Bucket=bucket, Key="p.png", Body=picture("PNG"), ContentType="image/png")
    response, image = fetch(root, bucket, "p.png", rule, tmp_path)
    assert image.size == expected
    assert image.format == "PNG"
    assert response["Content-Type"] == "image/png"


def test_it_resizes_a_jpeg_and_converts_formats(root: CosS3Client, bucket: str, tmp_path: Path) -> None:
    root.put_object(Bucket=bucket, Key="j.jpg", Body=picture("JPEG", (1000, 500)), ContentType="image/jpeg")
    response, image = fetch(root, bucket, "j.jpg", "imageMogr2/thumbnail/200x200", tmp_path)
    assert (image.format, image.size, response["Content-Type"]) == ("JPEG", (200, 100), "image/jpeg")

    for fmt, pillow, content_type in [("webp", "WEBP", "image/webp"), ("png", "PNG", "image/png")]:
        response, image = fetch(root, bucket, "j.jpg", f"imageMogr2/thumbnail/200x200/format/{fmt}", tmp_path)
        assert (image.format, image.size, response["Content-Type"]) == (pillow, (200, 100), content_type)

    response, image = fetch(root, bucket, "j.jpg", "imageMogr2/format/png", tmp_path)
    assert (image.format, image.size) == ("PNG", (1000, 500))
    # The original is untouched.
    assert root.get_object(Bucket=bucket, Key="j.jpg")["Body"].get_raw_stream().read()[:2] == b"\xff\xd8"


def test_it_serves_a_presigned_thumbnail_url(localcloud: RunningServer, root: CosS3Client, bucket: str) -> None:
    root.put_object(Bucket=bucket, Key="p.png", Body=picture("PNG"))
    url = root.get_presigned_url(
        Bucket=bucket, Key="p.png", Method="GET", Params={"imageMogr2/thumbnail/40x40": ""}, SignHost=False
    )
    url = url.replace(f"{bucket}.cos.ap-guangzhou.myqcloud.com", f"{localcloud.host}:{localcloud.port}")
    response = requests.get(url, headers={"Host": f"{bucket}.cos.ap-guangzhou.myqcloud.com"}, timeout=10)
    assert response.status_code == 200, response.text
    assert Image.open(io.BytesIO(response.content)).size == (40, 20)


def test_it_refuses_what_is_not_an_image(root: CosS3Client, bucket: str, tmp_path: Path) -> None:
    root.put_object(Bucket=bucket, Key="notes.txt", Body=b"plain text, not pixels")
    with pytest.raises(CosServiceError) as excinfo:
        fetch(root, bucket, "notes.txt", "imageMogr2/thumbnail/100x100", tmp_path)
    assert cos_error(excinfo)[:2] == (400, "InvalidImageFormat")


def test_it_refuses_a_decompression_bomb_without_decoding_it(
    root: CosS3Client, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 10_000)
    root.put_object(Bucket=bucket, Key="big.png", Body=picture("PNG", (200, 100)))
    with pytest.raises(CosServiceError) as excinfo:
        fetch(root, bucket, "big.png", "imageMogr2/thumbnail/10x10", tmp_path)
    assert cos_error(excinfo)[:2] == (400, "ImageTooLarge")


def test_it_refuses_geometries_and_operations_it_does_not_have(root: CosS3Client, bucket: str, tmp_path: Path) -> None:
    root.put_object(Bucket=bucket, Key="p.png", Body=picture("PNG"))
    for rule, status, code in [
        ("imageMogr2/thumbnail/0x0", 400, "InvalidArgument"),
        ("imageMogr2/thumbnail/abc", 400, "InvalidArgument"),
        ("imageMogr2/thumbnail/20000x", 400, "InvalidArgument"),
        ("imageMogr2/format/tiff", 400, "InvalidArgument"),
        ("imageMogr2/rotate/90", 501, "NotImplemented"),
    ]:
        with pytest.raises(CosServiceError) as excinfo:
            fetch(root, bucket, "p.png", rule, tmp_path)
        assert cos_error(excinfo)[:2] == (status, code), rule


def test_it_authorises_thumbnails_as_get_object(
    root: CosS3Client, bucket: str, tmp_path: Path, issue: Issue, temporary_client: MakeClient
) -> None:
    root.put_object(Bucket=bucket, Key="users/alice/p.png", Body=picture("PNG"))
    root.put_object(Bucket=bucket, Key="users/bob/p.png", Body=picture("PNG"))
    alice = temporary_client(issue(policy(allow(["name/cos:GetObject"], [resource(bucket, "users/alice/*")]))))
    _, image = fetch(alice, bucket, "users/alice/p.png", "imageMogr2/thumbnail/40x", tmp_path)
    assert image.size == (40, 20)
    with pytest.raises(CosServiceError) as excinfo:
        fetch(alice, bucket, "users/bob/p.png", "imageMogr2/thumbnail/40x", tmp_path)
    assert cos_error(excinfo)[:2] == (403, "AccessDenied")

    heads_only = temporary_client(issue(policy(allow(["name/cos:HeadObject"], [resource(bucket, "users/alice/*")]))))
    with pytest.raises(CosServiceError) as excinfo:
        fetch(heads_only, bucket, "users/alice/p.png", "imageMogr2/thumbnail/40x", tmp_path)
    assert cos_error(excinfo)[:2] == (403, "AccessDenied")
