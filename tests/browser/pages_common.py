"""What the browser tests of the preview, share, bucket and phone pages share: a policy that may do everything on
one bucket (objects and the bucket itself), and small test files a browser can really play or show."""

from __future__ import annotations

import io
import math
import struct
import wave
from typing import Any

from PIL import Image

from tests.factories import REGION

BUCKET_ACTIONS = [
    "name/cos:HeadBucket",
    "name/cos:GetBucket",
    "name/cos:GetBucketCORS",
    "name/cos:GetBucketACL",
    "name/cos:DeleteBucket",
]
OBJECT_ACTIONS = ["name/cos:HeadObject", "name/cos:GetObject", "name/cos:PutObject", "name/cos:DeleteObject"]


def owner_statements(bucket: str = "*", *, bucket_actions: list[str] | None = None) -> list[dict[str, Any]]:
    """Everything on `bucket` ("*": every bucket of the account) in REGION, GetService included."""
    base = f"qcs::cos:{REGION}:uid/${{appid}}:{bucket}/"
    return [
        {"effect": "allow", "action": ["name/cos:GetService"], "resource": ["*"]},
        {"effect": "allow", "action": bucket_actions or BUCKET_ACTIONS, "resource": [base]},
        {"effect": "allow", "action": OBJECT_ACTIONS, "resource": [f"{base}*"]},
    ]


def picture(width: int, height: int, fmt: str = "PNG") -> bytes:
    image = Image.new("RGB", (width, height))
    for x in range(0, width, max(1, width // 16)):
        for y in range(height):
            image.putpixel((x, y), (255, 128, 0))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A sine tone as 16-bit mono PCM WAV (Chromium plays it without any codec of its own)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(int(seconds * rate))
        )
        out.writeframes(frames)
    return buffer.getvalue()


def pdf(text: str = "Hello from localcloud") -> bytes:
    """A one-page PDF written by hand, with a correct cross-reference table."""
    stream = f"BT /F1 24 Tf 72 700 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def preview_url(portal_url: str, bucket: str, key: str) -> str:
    return f"{portal_url}/buckets/{REGION}/{bucket}/preview/?key={key}"
