"""What can go wrong when credentials are asked for, each with the HTTP status and `codeDesc` the API answers."""

from __future__ import annotations


class SignerError(Exception):
    """A failure the caller is told about: `status` is the HTTP status, `code_desc` the stable machine-readable code."""

    status: int = 400
    code_desc: str = "SignerError"

    def __init__(self, message: str, *, code_desc: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code_desc is not None:
            self.code_desc = code_desc


class NoPolicy(SignerError):
    status = 403
    code_desc = "NoPolicy"


class UnknownPolicy(SignerError):
    status = 400
    code_desc = "UnknownPolicy"


class InvalidScope(SignerError):
    status = 400
    code_desc = "InvalidScope"


class ScopeNotAllowed(SignerError):
    status = 403
    code_desc = "ScopeNotAllowed"


class AccountInactive(SignerError):
    status = 503
    code_desc = "AccountInactive"


class StsFailed(SignerError):
    """STS answered with an error (bad key, bad policy...): 502, with the STS code as `codeDesc`."""

    status = 502

    def __init__(self, code: str, message: str, request_id: str = "") -> None:
        super().__init__(f"STS refused the request: {code}: {message}", code_desc=code)
        self.code = code
        self.request_id = request_id


class StsUnavailable(SignerError):
    """STS could not be reached or did not answer in time, and no still-valid credential was cached."""

    status = 503
    code_desc = "StsUnavailable"


class PolicyUnusable(SignerError):
    """The assigned policy cannot be rendered for this user (an administrator must fix it)."""

    status = 403
    code_desc = "PolicyUnusable"


class StsThrottled(SignerError):
    """Over SIGNER_STS_RATE new STS calls: answered 429 with Retry-After (`wait` seconds)."""

    status = 429
    code_desc = "Throttled"

    def __init__(self, message: str, *, wait: int) -> None:
        super().__init__(message)
        self.wait = wait
