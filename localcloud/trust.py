"""Role trust policies (a CAM role's PolicyDocument): who may assume the role.

The shape, from Tencent's CAM documentation ("role trust policy") and what CreateRole accepts:

    {"version": "2.0", "statement": [{"action": "name/sts:AssumeRole", "effect": "allow",
                                      "principal": {"qcs": ["qcs::cam::uin/<owner uin>:root"]}}]}

`qcs::cam::uin/<owner>:root` trusts every identity of that account (each still needs `name/sts:AssumeRole` on the
role in its own policy); `qcs::cam::uin/<owner>:uin/<sub-user uin>` trusts one sub-user. Service principals
(`{"service": [...]}`) are accepted and stored but trust no caller here: localcloud runs no cloud services.
"""

from __future__ import annotations

from typing import Any

ASSUME_ROLE = "name/sts:AssumeRole"


def account_trust(uin: str) -> dict[str, Any]:
    """Trusted by the account's principals: what roles from a roles file or --role flag get."""
    return {
        "version": "2.0",
        "statement": [{"action": ASSUME_ROLE, "effect": "allow", "principal": {"qcs": [f"qcs::cam::uin/{uin}:root"]}}],
    }


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) and item for item in value):
        return value
    return None


def problem(document: Any) -> str | None:
    """What is wrong with a trust policy, or None."""
    if not isinstance(document, dict) or document.get("version") != "2.0":
        return 'a trust policy is a JSON object with "version": "2.0"'
    statements = document.get("statement")
    if not isinstance(statements, list) or not statements:
        return 'a trust policy needs a non-empty "statement" list'
    for index, statement in enumerate(statements, start=1):
        if not isinstance(statement, dict) or str(statement.get("effect", "")).lower() not in ("allow", "deny"):
            return f'statement {index}: "effect" must be allow or deny'
        actions = _strings(statement.get("action"))
        if actions is None or any(action not in (ASSUME_ROLE, "name/sts:*", "*") for action in actions):
            return f'statement {index}: "action" must be name/sts:AssumeRole'
        principal = statement.get("principal")
        if not isinstance(principal, dict) or not principal:
            return f'statement {index}: "principal" must name who may assume the role, e.g. {{"qcs": [...]}}'
        for kind, value in principal.items():
            if kind not in ("qcs", "service") or _strings(value) is None:
                return f'statement {index}: "principal" has "qcs" or "service" lists of strings'
    return None


def principal_arns(owner_uin: str, caller_uin: int | None, *, is_root: bool) -> set[str]:
    """The principal names a caller answers to. Every caller of the account answers to `:root`."""
    names = {f"qcs::cam::uin/{owner_uin}:root"}
    if is_root:
        names.add(f"qcs::cam::uin/{owner_uin}:uin/{owner_uin}")
    if caller_uin is not None:
        names.add(f"qcs::cam::uin/{owner_uin}:uin/{caller_uin}")
    return names


def trusts(document: dict[str, Any], names: set[str]) -> bool:
    """Any matching deny wins, then any matching allow; otherwise the role is not trusted."""
    allowed = False
    for statement in document.get("statement", []):
        qcs = set(_strings(statement.get("principal", {}).get("qcs")) or ())
        if not (qcs & names or "*" in qcs):
            continue
        if str(statement.get("effect")).lower() == "deny":
            return False
        allowed = True
    return allowed
