"""What can go wrong when credentials are asked for, each with the HTTP status and `codeDesc` the API answers.

Messages are lazy translations, read when shown: the API (which answers in English, whatever Accept-Language says)
gets English, a page gets the reader's language; `codeDesc` never changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class SignerError(Exception):
    """A failure the caller is told about: `status` is the HTTP status, `code_desc` the stable machine-readable code."""

    status: int = 400
    code_desc: str = "SignerError"
    retry_after: int | None = None  # seconds, sent as Retry-After when set

    def __init__(self, message: StrOrPromise, *, code_desc: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message)
        self._message = message
        if code_desc is not None:
            self.code_desc = code_desc
        if retry_after is not None:
            self.retry_after = retry_after

    @property
    def message(self) -> str:
        """The message in the active language."""
        return str(self._message)


class NoPolicy(SignerError):
    status = 403
    code_desc = "NoPolicy"


class UnknownPolicy(SignerError):
    """A policy asked for by name that is not one of the caller's (whether or not it exists: names cannot be probed)."""

    status = 403
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
        super().__init__(
            format_lazy(_("STS refused the request: {code}: {message}"), code=code, message=message), code_desc=code
        )
        self.code = code
        self.request_id = request_id


class StsUnavailable(SignerError):
    """STS could not be reached, did not answer in time, or is over its per-account quota (codeDesc
    RequestLimitExceeded), and no still-valid credential was cached."""

    status = 503
    code_desc = "StsUnavailable"
    retry_after = 5


class PolicyUnusable(SignerError):
    """The assigned policy cannot be rendered for this user (an administrator must fix it)."""

    status = 403
    code_desc = "PolicyUnusable"


class StsThrottled(SignerError):
    """Over SIGNER_STS_RATE new STS calls: answered 429 with Retry-After (`wait` seconds)."""

    status = 429
    code_desc = "Throttled"

    def __init__(self, message: StrOrPromise, *, wait: int) -> None:
        super().__init__(message, retry_after=wait)
        self.wait = wait
