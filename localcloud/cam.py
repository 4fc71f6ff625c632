"""CAM API 3.0 (version 2019-01-16): the calls that provisioning needs, as tencentcloud-sdk-python-cam sends them.

Roles with their trust policy, custom policies attached to roles and sub-users, sub-users and their access keys; names,
shapes and error codes from the SDK's `models.py` and `errorcodes.py`. Only the root key may call them here (on Tencent
Cloud a sub-user granted `name/cam:*` may too; localcloud's provisioning has no need for that). State is
`localcloud.accounts`: STS and COS see every change on the next request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from localcloud import trust
from localcloud.accounts import NameInUse, Policy, Role, User
from localcloud.api import ApiError, Caller, Emulator, Handler, Params, Service, check_known, required_string
from localcloud.config import ROLE_NAME
from qcloud import policy as cam

if TYPE_CHECKING:
    from localcloud.accounts import Accounts

VERSION = "2019-01-16"
SERVICE = "cam"
MAX_ACCESS_KEYS = 2  # errorcodes.py: "每个账号最多支持两个AccessKey"
MAX_POLICY_LENGTH = 6144
DEFAULT_SESSION_DURATION = 43200
_POLICY_NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
_USER_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


def _time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _accounts(app: Emulator) -> Accounts:
    return app.credentials.accounts


def _int(params: Params, name: str, *, required: bool = True) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError("InvalidParameter", f"The parameter `{name}` must be an integer.")
    return value


def _document(raw: str, *, trust_policy: bool) -> dict[str, Any]:
    if len(raw) > MAX_POLICY_LENGTH:
        raise ApiError(
            "InvalidParameter.PolicyDocumentLengthOverLimit", f"PolicyDocument is longer than {MAX_POLICY_LENGTH}."
        )
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError("InvalidParameter.PolicyDocumentError", "PolicyDocument is not valid JSON.") from None
    if trust_policy:
        problem = trust.problem(document)
    else:
        try:
            cam.parse_policy(document)
            problem = None
        except cam.PolicyError as error:
            problem = str(error)
    if problem is not None:
        raise ApiError("InvalidParameter.PolicyDocumentError", f"PolicyDocument is malformed: {problem}")
    return dict(document)


# --- roles ----------------------------------------------------------------------------------------------------------


def _find_role(app: Emulator, params: Params, id_name: str = "RoleId", name_name: str = "RoleName") -> Role:
    role_id, name = params.get(id_name), params.get(name_name)
    if not role_id and not name:
        raise ApiError("MissingParameter", f"The request needs `{id_name}` or `{name_name}`.")
    role = _accounts(app).role(role_id=str(role_id)) if role_id else _accounts(app).role(name=str(name))
    if role is None:
        raise ApiError("InvalidParameter.RoleNotExist", f"The role `{role_id or name}` does not exist.")
    return role


def create_role(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"RoleName", "PolicyDocument", "Description", "ConsoleLogin", "SessionDuration", "Tags"})
    name = required_string(params, "RoleName")
    if not ROLE_NAME.fullmatch(name):
        raise ApiError("InvalidParameter.RoleNameError", "RoleName must be 1 to 128 characters of [A-Za-z0-9+=,.@_-].")
    document = _document(required_string(params, "PolicyDocument"), trust_policy=True)
    duration = _int(params, "SessionDuration", required=False) or DEFAULT_SESSION_DURATION
    if not 0 < duration <= DEFAULT_SESSION_DURATION:
        raise ApiError("InvalidParameter", f"SessionDuration must be from 1 to {DEFAULT_SESSION_DURATION} seconds.")
    try:
        role = _accounts(app).create_role(
            name=name,
            trust=document,
            description=str(params.get("Description") or ""),
            session_duration=duration,
            console_login=_int(params, "ConsoleLogin", required=False) or 0,
        )
    except NameInUse:
        raise ApiError("InvalidParameter.RoleNameInUse", f"The role `{name}` exists already.") from None
    return {"RoleId": role.role_id}


def get_role(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"RoleId", "RoleName"})
    role = _find_role(app, params)
    return {
        "RoleInfo": {
            "RoleId": role.role_id,
            "RoleName": role.name,
            "PolicyDocument": json.dumps(role.trust),
            "Description": role.description,
            "AddTime": _time(role.created_at),
            "UpdateTime": _time(role.updated_at),
            "ConsoleLogin": role.console_login,
            "RoleType": "user",
            "SessionDuration": role.session_duration,
            "Tags": [],
            "RoleArn": app.config.role_arn(role.name),
        }
    }


def update_assume_role_policy(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"PolicyDocument", "RoleId", "RoleName"})
    role = _find_role(app, params)
    _accounts(app).set_trust(role, _document(required_string(params, "PolicyDocument"), trust_policy=True))
    return {}


def delete_role(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"RoleId", "RoleName"})
    _accounts(app).delete_role(_find_role(app, params))
    return {}


# --- policies -------------------------------------------------------------------------------------------------------


def _find_policy(app: Emulator, params: Params) -> Policy:
    policy_id, name = _int(params, "PolicyId", required=False), params.get("PolicyName")
    if policy_id is None and not name:
        raise ApiError("MissingParameter", "The request needs `PolicyId` or `PolicyName`.")
    found = _accounts(app).policy(policy_id=policy_id) if policy_id is not None else _accounts(app).policy(name=name)
    if found is None:
        raise ApiError("InvalidParameter.PolicyIdNotExist", f"The policy `{policy_id or name}` does not exist.")
    return found


def create_policy(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"PolicyName", "PolicyDocument", "Description", "Tags"})
    name = required_string(params, "PolicyName")
    if not _POLICY_NAME.fullmatch(name):
        raise ApiError("InvalidParameter.PolicyNameError", "PolicyName must be 1 to 128 characters of [\\w+=,.@-].")
    document = _document(required_string(params, "PolicyDocument"), trust_policy=False)
    try:
        policy = _accounts(app).create_policy(
            name=name, document=document, description=str(params.get("Description") or "")
        )
    except NameInUse:
        raise ApiError("FailedOperation.PolicyNameInUse", f"The policy name `{name}` is in use.") from None
    return {"PolicyId": policy.policy_id}


def update_policy(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"PolicyId", "PolicyName", "Description", "PolicyDocument", "Alias"})
    policy = _find_policy(app, params)
    raw = params.get("PolicyDocument")
    document = _document(str(raw), trust_policy=False) if raw else None
    description = params.get("Description")
    _accounts(app).update_policy(
        policy, document=document, description=None if description is None else str(description)
    )
    return {"PolicyId": policy.policy_id}


def _page(params: Params, items: list[Any]) -> tuple[int, list[Any]]:
    page = _int(params, "Page", required=False) or 1
    per_page = _int(params, "Rp", required=False) or 20
    if page < 1 or not 0 < per_page <= 200:
        raise ApiError("InvalidParameter", "Page must be at least 1 and Rp from 1 to 200.")
    return len(items), items[(page - 1) * per_page : page * per_page]


def list_policies(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"Rp", "Page", "Scope", "Keyword"})
    # localcloud has no preset (QCS) policies: every policy is custom ("Local"), Type 1 and CreateMode 1.
    policies = [] if params.get("Scope") == "QCS" else _accounts(app).policies(str(params.get("Keyword") or ""))
    total, shown = _page(params, policies)
    listed = [
        {
            "PolicyId": p.policy_id,
            "PolicyName": p.name,
            "AddTime": _time(p.created_at),
            "UpdateTime": _time(p.updated_at),
            "Type": 1,
            "Description": p.description,
            "CreateMode": 1,
        }
        for p in shown
    ]
    return {"TotalNum": total, "List": listed, "ServiceTypeList": []}


def _attached(app: Emulator, params: Params, kind: str, target: str) -> dict[str, Any]:
    total, shown = _page(params, _accounts(app).attached(kind, target))
    listed = [
        {
            "PolicyId": p.policy_id,
            "PolicyName": p.name,
            "AddTime": _time(added),
            "PolicyType": "User",
            "CreateMode": 1,
            "Description" if kind == "role" else "Remark": p.description,
        }
        for p, added in shown
    ]
    return {"List": listed, "TotalNum": total}


def attach_role_policy(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"PolicyId", "AttachRoleId", "AttachRoleName", "PolicyName"})
    policy = _find_policy(app, params)
    role = _find_role(app, params, "AttachRoleId", "AttachRoleName")
    _accounts(app).attach("role", role.role_id, policy)
    return {}


def list_attached_role_policies(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"Page", "Rp", "RoleId", "RoleName", "PolicyType", "Keyword"})
    return _attached(app, params, "role", _find_role(app, params).role_id)


# --- sub-users and access keys --------------------------------------------------------------------------------------


def _user_by_uin(app: Emulator, params: Params, name: str) -> User:
    uin = _int(params, name)
    user = _accounts(app).user(uin=uin)
    if user is None:
        raise ApiError("ResourceNotFound.UserNotExist", f"The sub-user {uin} does not exist.")
    return user


def add_user(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    known = {"Name", "Remark", "ConsoleLogin", "UseApi", "Password", "NeedResetPassword", "PhoneNum", "CountryCode"}
    check_known(params, known | {"Email"})
    name = required_string(params, "Name")
    if not _USER_NAME.fullmatch(name):
        raise ApiError("InvalidParameter.UserNameIllegal", "Name must be 1 to 64 characters of [\\w+=,.@-].")
    try:
        user = _accounts(app).add_user(
            name=name,
            remark=str(params.get("Remark") or ""),
            console_login=_int(params, "ConsoleLogin", required=False) or 0,
        )
    except NameInUse:
        raise ApiError("InvalidParameter.SubUserNameInUse", f"The sub-user name `{name}` is in use.") from None
    answer: dict[str, Any] = {"Uin": user.uin, "Name": user.name, "Uid": user.uid}
    if _int(params, "UseApi", required=False):
        key = _accounts(app).create_access_key(user, "")
        answer.update(SecretId=key.secret_id, SecretKey=key.secret_key)
    return answer


def get_user(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"Name"})
    name = required_string(params, "Name")
    user = _accounts(app).user(name=name)
    if user is None:
        raise ApiError("ResourceNotFound.UserNotExist", f"The sub-user `{name}` does not exist.")
    return {
        "Uin": user.uin,
        "Name": user.name,
        "Uid": user.uid,
        "Remark": user.remark,
        "ConsoleLogin": user.console_login,
    }


def create_access_key(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"TargetUin", "Description"})
    user = _user_by_uin(app, params, "TargetUin")
    if len(_accounts(app).access_keys(user)) >= MAX_ACCESS_KEYS:
        raise ApiError("OperationDenied.AccessKeyOverLimit", f"A user has at most {MAX_ACCESS_KEYS} access keys.")
    key = _accounts(app).create_access_key(user, str(params.get("Description") or ""))
    return {
        "AccessKey": {
            "AccessKeyId": key.secret_id,
            "SecretAccessKey": key.secret_key,
            "Status": key.status,
            "CreateTime": _time(key.created_at),
            "Description": key.description,
        }
    }


def list_access_keys(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"TargetUin"})
    keys = _accounts(app).access_keys(_user_by_uin(app, params, "TargetUin"))
    listed = [
        {
            "AccessKeyId": k.secret_id,
            "Status": k.status,
            "CreateTime": _time(k.created_at),
            "Description": k.description,
        }
        for k in keys
    ]
    return {"AccessKeys": listed}


def attach_user_policy(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"PolicyId", "AttachUin"})
    if params.get("PolicyId") in (None, ""):
        raise ApiError("MissingParameter", "The request is missing a required parameter `PolicyId`.")
    policy = _find_policy(app, {"PolicyId": params["PolicyId"]})
    user = _user_by_uin(app, params, "AttachUin")
    _accounts(app).attach("user", str(user.uin), policy)
    return {}


def list_attached_user_policies(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, {"TargetUin", "Page", "Rp", "AttachType", "StrategyType", "Keyword"})
    return _attached(app, params, "user", str(_user_by_uin(app, params, "TargetUin").uin))


def get_user_app_id(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
    check_known(params, set())
    return {"Uin": app.config.uin, "OwnerUin": app.config.uin, "AppId": int(app.config.appid)}


def _root_only(handler: Handler) -> Handler:
    def run(app: Emulator, caller: Caller, params: Params) -> dict[str, Any]:
        if not caller.is_root:
            raise ApiError(
                "AuthFailure.UnauthorizedOperation",
                f"`{caller.principal.name}` may not call CAM at localcloud: only the account's root key may.",
            )
        return handler(app, caller, params)

    return run


_ACTIONS: dict[str, Callable[[Emulator, Caller, Params], dict[str, Any]]] = {
    "CreateRole": create_role,
    "GetRole": get_role,
    "UpdateAssumeRolePolicy": update_assume_role_policy,
    "DeleteRole": delete_role,
    "CreatePolicy": create_policy,
    "UpdatePolicy": update_policy,
    "ListPolicies": list_policies,
    "AttachRolePolicy": attach_role_policy,
    "ListAttachedRolePolicies": list_attached_role_policies,
    "AddUser": add_user,
    "GetUser": get_user,
    "CreateAccessKey": create_access_key,
    "ListAccessKeys": list_access_keys,
    "AttachUserPolicy": attach_user_policy,
    "ListAttachedUserPolicies": list_attached_user_policies,
    "GetUserAppId": get_user_app_id,
}
ACTIONS = {name: _root_only(handler) for name, handler in _ACTIONS.items()}
CAM = Service(SERVICE, VERSION, ACTIONS)
