"""COS error responses: `<Error><Code/><Message/><Resource/><RequestId/><TraceId/></Error>` with a real HTTP status."""

from __future__ import annotations


class CosError(Exception):
    """A failure the client is told about. Code and message are COS's; the message never holds a secret."""

    def __init__(self, status: int, code: str, message: str, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or []


def access_denied(message: str) -> CosError:
    return CosError(403, "AccessDenied", message)


def no_such_bucket(bucket: str) -> CosError:
    return CosError(404, "NoSuchBucket", f"The specified bucket {bucket} does not exist.")


def no_such_key(key: str) -> CosError:
    return CosError(404, "NoSuchKey", f"The specified key {key!r} does not exist.")


def no_such_upload(upload_id: str) -> CosError:
    return CosError(
        404,
        "NoSuchUpload",
        f"The specified multipart upload {upload_id!r} does not exist: it may have been aborted or completed.",
    )


def invalid_argument(message: str) -> CosError:
    return CosError(400, "InvalidArgument", message)


def malformed_xml(message: str) -> CosError:
    return CosError(400, "MalformedXML", f"The XML you provided was not well-formed or did not validate: {message}")
