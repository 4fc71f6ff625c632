"""A logging filter that keeps secrets out of every log line.

Two nets: patterns for what secrets look like where they travel (JSON fields such as TmpSecretKey / Token /
SecretKey, `Authorization:` headers and `x-cos-security-token` values), and exact values registered at run time by
the services as they handle them (`register_secret`), so a temporary key is redacted wherever it appears.
Cheap: one regex pass for the patterns, and one for the registered values only when there are any.
"""

from __future__ import annotations

import logging
import re
import threading

from signer.memo import Memo

REDACTED = "[redacted]"

_PATTERNS = re.compile(
    r"""(?ix)
    (?P<json>(?<![A-Za-z0-9])["']?
        (?:tmp_?secret_?key|secret_?key|secret_?access_?key|session_?token|security_?token|token|password|sessionToken)
        ["']?
        \s*[:=]\s*["']?)(?P<jsonvalue>[^"',\s}&]{6,})
    |(?P<auth>(?<![A-Za-z0-9])authorization["']?\s*[:=]\s*["']?(?:token|bearer|basic)?\s*)(?P<authvalue>[^"',\r\n}]{6,})
    |(?P<cos>x-cos-security-token[=:]\s*)(?P<cosvalue>[^&\s"',]{6,})
    """
)

_MAX_REGISTERED = 4096
_registered: Memo[str, None] = Memo(_MAX_REGISTERED)
_regex_lock = threading.Lock()
_registered_regex: re.Pattern[str] | None = None


def register_secret(*values: str) -> None:
    """Redact these exact values from every later log line (the newest 4096 are remembered)."""
    global _registered_regex
    changed = False
    for value in values:
        if value and len(value) >= 8 and value not in _registered:
            _registered.put(value, None)
            changed = True
    if changed:
        with _regex_lock:
            _registered_regex = None


def _registered_pattern() -> re.Pattern[str] | None:
    global _registered_regex
    with _regex_lock:
        if _registered_regex is None and len(_registered):
            values = sorted(_registered.keys(), key=len, reverse=True)
            _registered_regex = re.compile("|".join(re.escape(v) for v in values))
        return _registered_regex


def _replace(match: re.Match[str]) -> str:
    for prefix in ("json", "auth", "cos"):
        if match.group(prefix) is not None:
            return match.group(prefix) + REDACTED
    return REDACTED  # pragma: no cover - the pattern has no other branch


def redact(text: str) -> str:
    text = _PATTERNS.sub(_replace, text)
    pattern = _registered_pattern()
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites the record's message with secrets redacted; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is, not lost
            return True
        redacted = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True
