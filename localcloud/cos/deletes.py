"""DELETE Multiple Objects: `POST /?delete` with `<Delete><Quiet/><Object><Key/></Object>...</Delete>`.

Followed: Tencent's API reference "DELETE Multiple Objects" (up to 1000 keys; Quiet mode lists only the failures,
Verbose every key; a signed request is checked for cos:DeleteObject key by key, so a key the caller may not delete is
an <Error> entry of its own and the others are still deleted) and what the SDKs send (cos-python-sdk-v5 delete_objects
and cos-js-sdk-v5 deleteMultipleObject both send Content-MD5 of the body). Without Content-MD5 the request is refused
as S3 refuses it (400 InvalidRequest), the behaviour COS's API is modelled on; the per-key checks are the
dispatcher's (routes.py), made before this handler runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from localcloud.cos import xml
from localcloud.cos.answers import XML
from localcloud.cos.call import Call
from localcloud.cos.errors import CosError, malformed_xml
from localcloud.cos.request import Response
from localcloud.cos.storage import check_key

MAX_KEYS = 1000


@dataclass(frozen=True)
class Batch:
    quiet: bool
    keys: list[str]
    # What the dispatcher refused, by key: the error each such key is answered with.
    refused: dict[str, CosError] = field(default_factory=dict)


def parse(call: Call) -> Batch:
    """The request's body, checked against its (required) Content-MD5."""
    if "content-md5" not in call.request.headers:
        raise CosError(400, "InvalidRequest", "Missing required header for this request: Content-MD5.")
    root = xml.parse(call.read_xml_body(), "Delete")
    quiet_text = xml.text(root, "Quiet")
    if quiet_text not in (None, "true", "false", "True", "False"):
        raise malformed_xml("<Quiet> must be true or false")
    keys = []
    for item in xml.children(root, "Object"):
        key = xml.text(item, "Key")
        if not key:
            raise malformed_xml("every <Object> needs a non-empty <Key>")
        keys.append(key)
    if not keys:
        raise malformed_xml("<Delete> lists no <Object>")
    if len(keys) > MAX_KEYS:
        raise malformed_xml(f"at most {MAX_KEYS} objects may be deleted at once, {len(keys)} were listed")
    return Batch((quiet_text or "false").lower() == "true", keys)


def delete_multiple(call: Call) -> Response:
    batch = call.prepared
    assert isinstance(batch, Batch)  # set by the route's check, which runs first
    call.bucket()
    deleted: list[str] = []
    errors: list[tuple[str, CosError]] = []
    for key in batch.keys:
        refused = batch.refused.get(key)
        if refused is None:
            try:
                check_key(key)
            except CosError as exc:
                refused = exc
        if refused is not None:
            errors.append((key, refused))
            continue
        call.storage.delete_object(call.bucket_name, key)  # a key that does not exist counts as deleted
        deleted.append(key)
    root = xml.build(
        "DeleteResult",
        *(() if batch.quiet else (xml.build("Deleted", ("Key", key)) for key in deleted)),
        *(xml.build("Error", ("Key", key), ("Code", exc.code), ("Message", exc.message)) for key, exc in errors),
    )
    return Response(200, [XML], xml.document(root))
