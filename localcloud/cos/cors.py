"""CORS from the bucket's rules (PutBucketCORS): preflights and the headers on actual responses.

A rule matches when one of its AllowedOrigin globs matches the Origin, the method is in AllowedMethod and every
requested header matches an AllowedHeader glob (case-insensitive). The first matching rule decides.
"""

from __future__ import annotations

from collections.abc import Sequence

from localcloud.cos.errors import CosError
from localcloud.cos.xml import CorsRule
from qcloud.policy import glob_match


def _values(rule: CorsRule, name: str) -> list[str]:
    value = rule.get(name, [])
    return value if isinstance(value, list) else [value]


def _origin_ok(rule: CorsRule, origin: str) -> bool:
    return any(glob_match(pattern, origin) for pattern in _values(rule, "AllowedOrigin"))


def _headers_ok(rule: CorsRule, headers: Sequence[str]) -> bool:
    allowed = [pattern.lower() for pattern in _values(rule, "AllowedHeader")]
    return all(any(glob_match(pattern, header.lower()) for pattern in allowed) for header in headers)


def find_rule(rules: list[CorsRule] | None, origin: str, method: str, headers: Sequence[str] = ()) -> CorsRule | None:
    for rule in rules or []:
        if _origin_ok(rule, origin) and method.upper() in _values(rule, "AllowedMethod") and _headers_ok(rule, headers):
            return rule
    return None


def response_headers(rule: CorsRule, origin: str) -> list[tuple[str, str]]:
    headers = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    expose = _values(rule, "ExposeHeader")
    if expose:
        headers.append(("Access-Control-Expose-Headers", ", ".join(expose)))
    return headers


def preflight(rules: list[CorsRule] | None, origin: str, method: str, request_headers: str) -> list[tuple[str, str]]:
    """Headers for a successful preflight, or CosError 403 when no rule allows it."""
    wanted = [name.strip() for name in request_headers.split(",") if name.strip()]
    rule = find_rule(rules, origin, method, wanted)
    if rule is None:
        raise CosError(
            403,
            "AccessForbidden",
            f"CORSResponse: this CORS request is not allowed: no CORS rule of this bucket allows origin {origin!r}, "
            f"method {method!r} and headers {', '.join(wanted) or '(none)'}.",
        )
    headers = response_headers(rule, origin)
    headers.append(("Access-Control-Allow-Methods", ", ".join(_values(rule, "AllowedMethod"))))
    if wanted:
        headers.append(("Access-Control-Allow-Headers", ", ".join(wanted)))
    if "MaxAgeSeconds" in rule:
        headers.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
    return headers
