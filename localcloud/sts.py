"""STS API 3.0: GetFederationToken and AssumeRole, as tencentcloud-sdk-python-sts and qcloud-cos-sts-sdk call them.

The envelope and both signatures are `localcloud.api`'s. Who may call what:
- the root account: everything;
- a sub-account (permanent keys with a CAM policy): GetFederationToken when its policy allows
  `name/sts:GetFederationToken`; AssumeRole when its policy allows `name/sts:AssumeRole` on the role's ARN and the
  role's trust policy trusts it;
- temporary credentials: AssumeRole under the same rule as sub-accounts (role chaining); GetFederationToken answers
  FailedOperation.TempKeyNotAllowed, as the real API does ("only supports calls with permanent keys").

What the issued credentials may do is the intersection of their policies (`Principal.policies`, each must allow):
- GetFederationToken by root: [session policy];
- GetFederationToken by a sub-account: [sub-account policy, session policy] — a federated token never exceeds the
  permissions of the key that asked for it;
- AssumeRole: [role policy] or [role policy, session policy] — the session policy narrows the role, never widens it.

Both actions share the account's quota (600 calls per second, `Config.sts_rate`); over it STS answers
RequestLimitExceeded, as Tencent's common error codes name it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from localcloud import trust
from localcloud.api import ApiError, Caller, Emulator, Handler, Service, check_known, required_string
from localcloud.numbers import ascii_int
from qcloud import policy as cam
from qcloud.limits import STS_POLICY_LIMIT

VERSION = "2018-08-13"
SERVICE = "sts"

FEDERATION_DEFAULT_DURATION = 1800
FEDERATION_MAX_DURATION_ROOT = 7200
FEDERATION_MAX_DURATION_SUBACCOUNT = 129600
ROLE_DEFAULT_DURATION = 7200
ROLE_MAX_DURATION = 43200

_NAME = re.compile(r"[\w+=,.@-]{2,32}", re.ASCII)
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,128}", re.ASCII)
_ROLE_ARN = re.compile(r"qcs::cam::uin/(?P<uin>\d+):(?P<kind>roleName|role)/(?P<name>.+)")


StsError = ApiError  # the name the STS code and its tests use


def admit(app: Emulator, caller: Caller, action: str) -> None:
    if not app.api.sts_limit.admit(app.config.uin):
        raise ApiError(
            "RequestLimitExceeded",
            f"The account {app.config.uin} made more than {app.api.sts_limit.limit} STS calls in the last second.",
        )


# --- parameters ---------------------------------------------------------------------------------------------------


_check_known = check_known
_required_string = required_string


def _duration(params: Mapping[str, Any], *, default: int, maximum: int) -> int:
    value = params.get("DurationSeconds")
    if value is None:
        return default
    if isinstance(value, str):
        value = ascii_int(value, 9)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise StsError("InvalidParameter.ParamError", f"DurationSeconds must be an integer from 1 to {maximum}.")
    if value > maximum:
        raise StsError(
            "InvalidParameter.OverTimeError",
            f"DurationSeconds {value} is longer than the maximum of {maximum} seconds for this caller.",
        )
    return value


def _session_policy(raw: str) -> dict[str, Any]:
    """Decode the URL-encoded Policy parameter and check it like CAM does."""
    if len(raw) > STS_POLICY_LIMIT:
        raise StsError(
            "InvalidParameter.PolicyTooLong",
            f"The Policy is {len(raw)} characters long (URL-encoded); the maximum is {STS_POLICY_LIMIT}.",
        )
    try:
        document = json.loads(unquote(raw))
    except ValueError as error:
        raise StsError("InvalidParameter.StrategyFormatError", f"The Policy is not valid JSON: {error}.") from None
    except RecursionError:
        raise StsError("InvalidParameter.StrategyFormatError", "The Policy is nested too deeply.") from None
    if not isinstance(document, dict):
        raise StsError("InvalidParameter.StrategyFormatError", "The Policy must be a JSON object.")
    statements = document.get("statement")
    for index, statement in enumerate(statements if isinstance(statements, list) else [], start=1):
        if isinstance(statement, dict) and any(key.lower() == "principal" for key in statement):
            raise StsError(
                "InvalidParameter.StrategyFormatError",
                f"statement {index}: a session policy cannot contain the principal element.",
            )
    try:
        cam.parse_policy(document)
    except cam.PolicyError as error:
        raise StsError("InvalidParameter.StrategyFormatError", f"The Policy is malformed: {error}") from None
    return document


def _role(app: Emulator, name: str) -> tuple[dict[str, Any], dict[str, Any], int] | None:
    """(permission policy, trust policy, longest session) of a role made through CAM, else of one from the roles
    file or --role flags, which the account's principals trust. A CAM role shadows a roles-file role of the same
    name (an older bootstrap_demo wrote its roles to the roles file)."""
    role = app.credentials.accounts.role(name=name)
    if role is not None:
        return app.credentials.accounts.effective_policy("role", role.role_id), role.trust, role.session_duration
    policy = app.config.roles.get(name)
    return None if policy is None else (policy, trust.account_trust(app.config.uin), ROLE_MAX_DURATION)


def _expiration(expires_at: int) -> str:
    return datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _credentials_response(app: Emulator, *, name: str, policies: list[dict[str, Any]], duration: int) -> dict[str, Any]:
    if app.config.sts_duration_cap is not None:
        duration = min(duration, app.config.sts_duration_cap)
    issued = app.credentials.issue(name=name, policies=policies, duration=duration)
    return {
        "Credentials": {
            "Token": issued.token,
            "TmpSecretId": issued.secret_id,
            "TmpSecretKey": issued.secret_key,
        },
        "ExpiredTime": issued.expires_at,
        "Expiration": _expiration(issued.expires_at),
    }


# --- actions ------------------------------------------------------------------------------------------------------


def get_federation_token(app: Emulator, caller: Caller, params: Mapping[str, Any]) -> dict[str, Any]:
    _check_known(params, {"Name", "Policy", "DurationSeconds"})
    if caller.principal.is_temporary:
        raise StsError(
            "FailedOperation.TempKeyNotAllowed", "GetFederationToken only accepts permanent keys, not temporary ones."
        )
    name = _required_string(params, "Name")
    if not _NAME.fullmatch(name):
        raise StsError("InvalidParameter.ParamError", "Name must be 2 to 32 characters of letters, digits and +=,.@_-.")
    maximum = FEDERATION_MAX_DURATION_ROOT if caller.is_root else FEDERATION_MAX_DURATION_SUBACCOUNT
    duration = _duration(params, default=FEDERATION_DEFAULT_DURATION, maximum=maximum)
    session = _session_policy(_required_string(params, "Policy"))
    resource = f"qcs::sts::uin/{app.config.uin}:federated-user/{name}"
    if not caller.may("name/sts:GetFederationToken", resource):
        raise StsError(
            "AuthFailure.UnauthorizedOperation",
            f"`{caller.principal.name}` is not allowed name/sts:GetFederationToken on {resource}.",
        )
    policies = [session] if caller.is_root else [*(json.loads(p) for p in caller.principal.policies), session]
    return _credentials_response(app, name=f"federated:{name}", policies=policies, duration=duration)


def assume_role(app: Emulator, caller: Caller, params: Mapping[str, Any]) -> dict[str, Any]:
    _check_known(
        params, {"RoleArn", "RoleSessionName", "DurationSeconds", "Policy", "ExternalId", "Tags", "SourceIdentity"}
    )
    role_arn = _required_string(params, "RoleArn")
    session_name = _required_string(params, "RoleSessionName")
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise StsError(
            "InvalidParameter.ParamError",
            f"RoleArn `{role_arn}` is not a role ARN like qcs::cam::uin/{app.config.uin}:roleName/<name>.",
        )
    found = _role(app, match["name"]) if match["kind"] == "roleName" and match["uin"] == app.config.uin else None
    if found is None:
        raise StsError(
            "ResourceNotFound.RoleNotFound", f"The role `{role_arn}` does not exist in account {app.config.uin}."
        )
    role_policy, trust_policy, longest = found
    if not _SESSION_NAME.fullmatch(session_name):
        raise StsError(
            "InvalidParameter.ParamError",
            "RoleSessionName must be 2 to 128 characters of letters, digits and +=,.@_-.",
        )
    # The role's SessionDuration (CreateRole, at most 43200 s) bounds its sessions.
    duration = _duration(params, default=min(ROLE_DEFAULT_DURATION, longest), maximum=longest)
    raw_policy = params.get("Policy")
    session = _session_policy(_required_string(params, "Policy")) if raw_policy not in (None, "") else None
    if not caller.may("name/sts:AssumeRole", role_arn):
        raise StsError(
            "AuthFailure.UnauthorizedOperation",
            f"`{caller.principal.name}` is not allowed name/sts:AssumeRole on {role_arn}.",
        )
    names = trust.principal_arns(app.config.uin, caller.principal.uin, is_root=caller.is_root)
    if not trust.trusts(trust_policy, names):
        raise StsError(
            "AuthFailure.UnauthorizedOperation",
            f"The trust policy of {role_arn} does not trust `{caller.principal.name}` ({', '.join(sorted(names))}).",
        )
    policies = [role_policy] if session is None else [role_policy, session]
    name = f"role:{match['name']}/{session_name}"
    return _credentials_response(app, name=name, policies=policies, duration=duration)


ACTIONS: dict[str, Handler] = {
    "GetFederationToken": get_federation_token,
    "AssumeRole": assume_role,
}
STS = Service(SERVICE, VERSION, ACTIONS, admit)
