"""Image processing on download: GET /<key>?imageMogr2/thumbnail/<geometry>/format/<fmt>, as COS answers it through
数据万象 (Cloud Infinite), with Pillow.

Tencent's API reference (COS 436/44880 and 36366, "缩放"): the whole rule is one query parameter name without a value
(cos-python-sdk-v5's ci_get_object sends `{Rule: ''}` and signs it like any parameter), authorised as GetObject on the
source object. The thumbnail geometries implemented are the ones that page lists: `!<s>p`, `!<s>px`, `!x<s>p`,
`<w>x`, `x<h>`, `<w>x<h>` (fit inside), `<w>x<h>>` (only shrink), `<w>x<h><` (only enlarge), `!<w>x<h>r` (cover),
`<w>x<h>!` (exact) and `<area>@`; results may be at most 9999 pixels a side (same page). Other imageMogr2 operations
(crop, rotate, quality, ...) are refused with 501 NotImplemented rather than ignored.

The source is bounded before a pixel is decoded: at most 32 MB (the same page's limit), and at most MAX_PIXELS pixels
as read from the image's header (Pillow opens lazily), so a small file that decompresses to gigabytes (a
decompression bomb) is refused without being decoded. COS's own pixel limit is 250 million; localcloud's is lower,
because it resizes in the memory of a developer's machine.

Error codes: Tencent documents the download-time failures of Cloud Infinite by number (460/8523: -441 "图片格式不符",
-447 "图片分辨率超出限制"), not by the XML Code string COS puts in the error document. localcloud answers 400
`InvalidImageFormat` and 400 `ImageTooLarge`, naming the documented number in the message.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from localcloud.cos import encryption, xml
from localcloud.cos.call import Call
from localcloud.cos.errors import CosError, invalid_argument, no_such_key
from localcloud.cos.request import Response
from localcloud.cos.storage import ObjectInfo

RULE_PREFIX = "imagemogr2/"
MAX_SOURCE_BYTES = 32 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 9999
# Output formats: imageMogr2's name -> (Pillow's format, Content-Type).
FORMATS = {
    "jpg": ("JPEG", "image/jpeg"),
    "jpeg": ("JPEG", "image/jpeg"),
    "png": ("PNG", "image/png"),
    "webp": ("WEBP", "image/webp"),
    "gif": ("GIF", "image/gif"),
    "bmp": ("BMP", "image/bmp"),
}
_BY_PILLOW = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}

Size = tuple[int, int]
Geometry = Callable[[Size], Size]


@dataclass(frozen=True)
class Rule:
    thumbnail: Geometry | None
    format: str | None  # a key of FORMATS


def requested(call: Call) -> str | None:
    """The signed imageMogr2 rule of this request (parameter names compared case-insensitively), if any."""
    rules = [name for name in call.signed_names() if name.lower().startswith(RULE_PREFIX)]
    if len(rules) > 1:
        raise invalid_argument("Only one imageMogr2 rule may be given per request.")
    return rules[0] if rules else None


def _scaled(size: Size, fx: float, fy: float) -> Size:
    return max(1, round(size[0] * fx)), max(1, round(size[1] * fy))


def _fit(w: int, h: int, mode: str) -> Geometry:
    def apply(size: Size) -> Size:
        if mode == "!":
            return w, h
        fx, fy = w / size[0], h / size[1]
        factor = max(fx, fy) if mode == "r" else min(fx, fy)
        if (mode == ">" and factor >= 1) or (mode == "<" and factor <= 1):
            return size
        return _scaled(size, factor, factor)

    return apply


_GEOMETRIES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Geometry]]] = [
    (re.compile(r"!(\d{1,4})p"), lambda m: lambda s: _scaled(s, int(m[1]) / 100, int(m[1]) / 100)),
    (re.compile(r"!(\d{1,4})px"), lambda m: lambda s: _scaled(s, int(m[1]) / 100, 1)),
    (re.compile(r"!x(\d{1,4})p"), lambda m: lambda s: _scaled(s, 1, int(m[1]) / 100)),
    (re.compile(r"(\d{1,4})x"), lambda m: lambda s: _scaled(s, int(m[1]) / s[0], int(m[1]) / s[0])),
    (re.compile(r"x(\d{1,4})"), lambda m: lambda s: _scaled(s, int(m[1]) / s[1], int(m[1]) / s[1])),
    (re.compile(r"(\d{1,4})x(\d{1,4})([><!]?)"), lambda m: _fit(int(m[1]), int(m[2]), m[3])),
    (re.compile(r"!(\d{1,4})x(\d{1,4})r"), lambda m: _fit(int(m[1]), int(m[2]), "r")),
    (re.compile(r"(\d{1,9})@"), lambda m: _area(int(m[1]))),
]


def _area(pixels: int) -> Geometry:
    def apply(size: Size) -> Size:
        factor = (pixels / (size[0] * size[1])) ** 0.5
        return _scaled(size, factor, factor)

    return apply


def _geometry(text: str) -> Geometry:
    for pattern, make in _GEOMETRIES:
        found = pattern.fullmatch(text)
        if found is not None:
            if any(group == "0" or group.lstrip("0") == "" for group in found.groups() if group and group.isdigit()):
                break
            return make(found)
    raise invalid_argument(f"imageMogr2/thumbnail/{text[:40]} is not a thumbnail geometry COS documents.")


def parse(rule: str) -> Rule:
    """`imageMogr2/thumbnail/200x200/format/webp` -> Rule (operations in pairs of name and value)."""
    parts = rule.split("/")[1:]
    thumbnail: Geometry | None = None
    fmt: str | None = None
    if not parts or len(parts) % 2:
        raise invalid_argument(f"{rule[:80]!r} is not an imageMogr2 rule: operations come as /<name>/<value>.")
    for name, value in zip(parts[::2], parts[1::2], strict=True):
        if name == "thumbnail" and thumbnail is None:
            thumbnail = _geometry(value)
        elif name == "format" and fmt is None:
            if value.lower() not in FORMATS:
                raise invalid_argument(f"imageMogr2/format/{value[:20]} is not a format localcloud can write.")
            fmt = value.lower()
        else:
            raise CosError(
                501,
                "NotImplemented",
                f"localcloud implements imageMogr2's thumbnail and format operations only, not {name[:40]!r}.",
            )
    return Rule(thumbnail, fmt)


def _not_an_image() -> CosError:
    return CosError(
        400,
        "InvalidImageFormat",
        "The object is not an image imageMogr2 can process (数据万象 -441: jpg, png, gif, webp and bmp are).",
    )


def _too_large(detail: str) -> CosError:
    return CosError(400, "ImageTooLarge", f"The image is too large to process (数据万象 -447): {detail}.")


def _decode(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:  # read from the header: nothing is decoded yet
                raise _too_large(f"{width}x{height} pixels, localcloud processes at most {MAX_PIXELS}")
            if image.format not in _BY_PILLOW:
                raise _not_an_image()
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _not_an_image() from exc
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _too_large(str(exc)) from exc
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    pillow_format = FORMATS[fmt][0]
    if pillow_format in {"JPEG", "BMP"} and image.mode not in {"RGB", "L"}:
        image = image.convert("RGB")
    elif image.mode not in {"RGB", "RGBA", "L", "LA", "P"}:
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, format=pillow_format)
    return out.getvalue()


def _read_all(handle: BinaryIO, size: int) -> bytes:
    """The whole body (a multipart object's reader answers one segment per read)."""
    with handle:
        data = bytearray()
        while len(data) < size:
            chunk = handle.read(size - len(data))
            if not chunk:
                break
            data += chunk
    return bytes(data)


def process(call: Call, info: ObjectInfo, rule_text: str) -> Response:
    """The processed image of `info`, in memory (its source at most MAX_SOURCE_BYTES)."""
    rule = parse(rule_text)
    encryption.require_key(call, info.headers)
    if info.size > MAX_SOURCE_BYTES:
        raise _too_large(f"{info.size} bytes, at most {MAX_SOURCE_BYTES} may be processed")
    try:
        handle = call.storage.open_object(info)
    except FileNotFoundError:  # replaced or deleted between the lookup and the open
        raise no_such_key(call.key) from None
    image = _decode(_read_all(handle, info.size))
    source_format = _BY_PILLOW[str(image.format)]
    if rule.thumbnail is not None:
        width, height = rule.thumbnail(image.size)
        if width > MAX_SIDE or height > MAX_SIDE:
            raise _too_large(f"the result would be {width}x{height}, at most {MAX_SIDE} pixels a side")
        if (width, height) != image.size:
            image = image.resize((width, height), Image.Resampling.LANCZOS)
    fmt = rule.format or source_format
    body = _encode(image, fmt)
    headers = [
        ("Content-Type", FORMATS[fmt][1]),
        ("Last-Modified", xml.http_date(info.modified)),
    ]
    return Response(200, headers, body)
