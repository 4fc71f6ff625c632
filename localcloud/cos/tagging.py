"""Object and bucket tags: PUT/GET/DELETE ?tagging, and `x-cos-tagging` on uploads and copies.

Limits from Tencent's API reference "PUT Object tagging" (at most 10 tags; a key shorter than 128 bytes, a value
shorter than 256 bytes, of letters including Chinese, digits and `+ - _ = / . : @`) and its "Object Tag Overview"
(spaces allowed too, keys and values 1-127 and 1-255 UTF-8 characters, keys unique): both bounds hold here. The
error codes are S3's (400 InvalidTag, 400 BadRequest for too many tags), which COS's tagging API mirrors (its
references name no codes of their own); the answer documents are those of the Object and Bucket tagging references:
`<Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from localcloud.cos import xml
from localcloud.cos.answers import XML
from localcloud.cos.call import Call
from localcloud.cos.errors import CosError, malformed_xml, no_such_key
from localcloud.cos.request import Response
from localcloud.cos.storage import Tags

MAX_TAGS = 10
MAX_BUCKET_TAGS = 50  # "Bucket tag overview": up to 50 tags per bucket
MAX_KEY = 127
MAX_VALUE = 255
SYMBOLS = set(" +-=._:/@")


def _valid(text: str, limit: int) -> bool:
    return 1 <= len(text.encode("utf-8", "surrogatepass")) <= limit and all(c.isalnum() or c in SYMBOLS for c in text)


def check(tags: list[tuple[str, str]], limit: int = MAX_TAGS) -> Tags:
    if len(tags) > limit:
        raise CosError(400, "BadRequest", f"Tags cannot be greater than {limit}: {len(tags)} were given.")
    found: Tags = {}
    for key, value in tags:
        if not _valid(key, MAX_KEY):
            raise CosError(400, "InvalidTag", f"The TagKey {key[:140]!r} is not valid: 1-{MAX_KEY} letters, digits, "
                           "spaces or + - = . _ : / @.")  # fmt: skip
        if not _valid(value, MAX_VALUE):
            raise CosError(400, "InvalidTag", f"The TagValue of {key!r} is not valid: 1-{MAX_VALUE} letters, digits, "
                           "spaces or + - = . _ : / @.")  # fmt: skip
        if key in found:
            raise CosError(400, "InvalidTag", f"Cannot provide multiple Tags with the same key {key!r}.")
        found[key] = value
    return found


def from_header(value: str | None) -> Tags | None:
    """`x-cos-tagging: k1=v1&k2=v2` (URL-encoded), None when the request has no such header."""
    if value is None:
        return None
    try:
        pairs = parse_qsl(value, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise CosError(400, "InvalidTag", "x-cos-tagging must be URL-encoded UTF-8.") from None
    return check(pairs)


def from_body(data: bytes, limit: int = MAX_TAGS) -> Tags:
    root = xml.parse(data, "Tagging")
    sets = xml.children(root, "TagSet")
    if len(sets) != 1:
        raise malformed_xml("<Tagging> needs one <TagSet>")
    pairs = []
    for tag in xml.children(sets[0], "Tag"):
        key, value = xml.text(tag, "Key"), xml.text(tag, "Value")
        if key is None or value is None:
            raise malformed_xml("every <Tag> needs a <Key> and a <Value>")
        pairs.append((key, value))
    return check(pairs, limit)


def document(tags: Tags | None) -> bytes:
    tag_set = xml.build("TagSet", *(xml.build("Tag", ("Key", k), ("Value", v)) for k, v in (tags or {}).items()))
    return xml.document(xml.build("Tagging", tag_set))


def put_object_tagging(call: Call) -> Response:
    call.bucket()
    tags = from_body(call.read_xml_body())
    if not call.storage.set_object_tags(call.bucket_name, call.key, tags):
        raise no_such_key(call.key)
    return Response(200)


def get_object_tagging(call: Call) -> Response:
    call.bucket()
    info = call.storage.get_object(call.bucket_name, call.key)
    if info is None:
        raise no_such_key(call.key)
    return Response(200, [XML], document(info.tags))


def delete_object_tagging(call: Call) -> Response:
    call.bucket()
    if not call.storage.set_object_tags(call.bucket_name, call.key, None):
        raise no_such_key(call.key)
    return Response(204)


def put_bucket_tagging(call: Call) -> Response:
    call.bucket()
    call.storage.set_bucket_tags(call.bucket_name, from_body(call.read_xml_body(), MAX_BUCKET_TAGS))
    return Response(200)


def get_bucket_tagging(call: Call) -> Response:
    bucket = call.bucket()
    if not bucket.tags:
        # GET Bucket tagging's reference: a bucket without tags answers 404 NoSuchTagSet.
        raise CosError(404, "NoSuchTagSet", "There is no tag set associated with the bucket.")
    return Response(200, [XML], document(bucket.tags))


def delete_bucket_tagging(call: Call) -> Response:
    call.bucket()
    call.storage.set_bucket_tags(call.bucket_name, None)
    return Response(204)
