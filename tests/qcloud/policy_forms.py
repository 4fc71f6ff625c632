"""Policies as tests write them: one valid statement to vary, and the PolicyError a malformed form raises."""

from __future__ import annotations

from typing import Any

import pytest

from qcloud.policy import PolicyError, parse_policy

RESOURCE = "qcs::cos:ap-guangzhou:uid/1250000000:photos-1250000000/users/alice/*"
OK = {"effect": "allow", "action": "name/cos:GetObject", "resource": RESOURCE}


def policy_with(**statement: Any) -> dict[str, Any]:
    return {"version": "2.0", "statement": [{**OK, **statement}]}


def policy_with_condition(condition: Any) -> dict[str, Any]:
    return policy_with(condition=condition)


def error_of(data: Any) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    return caught.value
