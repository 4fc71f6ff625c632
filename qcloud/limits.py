"""Limits Tencent Cloud sets, each written once (the portal checks them early; localcloud enforces them)."""

from __future__ import annotations

# Characters of the URL-encoded Policy parameter that STS GetFederationToken and AssumeRole accept.
STS_POLICY_LIMIT = 2048
