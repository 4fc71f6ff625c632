"""PUT/GET Object acl and PUT/GET Bucket acl (the list itself is acl.py's).

PUT ?acl takes the x-cos-acl / x-cos-grant-* headers or, without them, an AccessControlPolicy body: one of the two,
as the API references say. Header grantees `id="<uin>"` and `id="<uin>/<sub uin>"` are answered in the
`qcs::cam::uin/...` form bodies use. GET Object acl answers `x-cos-acl: default` for an object that follows its
bucket, which cos-python-sdk-v5 reads as CannedACL "default".
"""

from __future__ import annotations

from localcloud.cos import acl
from localcloud.cos.answers import XML, identity
from localcloud.cos.call import Call
from localcloud.cos.errors import invalid_argument, no_such_key
from localcloud.cos.request import Response
from localcloud.cos.storage import Acl


def _requested(call: Call, *, for_object: bool) -> Acl | None:
    """The list the request sets; None for an object set back to "default"."""
    given = acl.from_headers(call.request.headers, for_object=for_object)
    if given is None:
        given = acl.from_body(call.read_xml_body())
    elif call.request.content_length:
        # The PUT Object acl and PUT Bucket acl references: headers or a body, "only one of the two ways".
        raise invalid_argument("Set the ACL with the x-cos-acl / x-cos-grant-* headers or with a body, not both.")
    if for_object and given.get("canned") == "default" and not given.get("grants"):
        return None
    return given


def put_object_acl(call: Call) -> Response:
    call.bucket()
    if not call.storage.set_object_acl(call.bucket_name, call.key, _requested(call, for_object=True)):
        raise no_such_key(call.key)
    return Response(200)


def get_object_acl(call: Call) -> Response:
    call.bucket()
    info = call.storage.get_object(call.bucket_name, call.key)
    if info is None:
        raise no_such_key(call.key)
    headers = [XML]
    if info.acl is None:
        headers.append(("x-cos-acl", "default"))
    return Response(200, headers, acl.document(info.acl, identity(call)))


def put_bucket_acl(call: Call) -> Response:
    call.bucket()
    call.storage.set_bucket_acl(call.bucket_name, _requested(call, for_object=False))
    return Response(200)


def get_bucket_acl(call: Call) -> Response:
    bucket = call.bucket()
    return Response(200, [XML], acl.document(bucket.acl, identity(call)))
