"""The portal's only door to Tencent Cloud CAM: a thin wrapper around tencentcloud-sdk-python-cam, for provisioning.

What the portal needs set up once per account — a role holding the most any credential may do, trusted by exactly
one sub-user whose key may do nothing but assume it — made idempotently through CAM's own calls, so the same code
provisions localcloud (local mode: settings.LOCALCLOUD_URL over http) and Tencent Cloud (tencent mode:
cam.tencentcloudapi.com over https, or settings.CAM_ENDPOINT). Every SDK failure becomes CamError; none carries a
secret.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from tencentcloud.cam.v20190116 import cam_client, models
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from signer.logging import RedactSecretsFilter

# The SDK logs whole responses at DEBUG, CreateAccessKey's secret included: redact at the source.
logging.getLogger("tencentcloud_sdk_common").addFilter(RedactSecretsFilter())

DEFAULT_ENDPOINT = "cam.tencentcloudapi.com"


class CamError(Exception):
    """CAM answered with an error (`code` such as "InvalidParameter.RoleNameInUse") or could not be reached."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Provisioned:
    owner_uin: str
    appid: str
    user_uin: int
    secret_id: str
    secret_key: str | None  # None: the key the caller already holds was kept
    role_arns: dict[str, str]  # role name -> ARN

    def __repr__(self) -> str:  # never print a secret
        return f"Provisioned(owner_uin={self.owner_uin!r}, secret_id={self.secret_id!r}, roles={list(self.role_arns)})"


def client(secret_id: str, secret_key: str) -> cam_client.CamClient:
    """A CAM client with an administrator's key (root, or a sub-user allowed name/cam:*), for this mode."""
    if settings.LOCAL_MODE:
        parts = urlsplit(settings.LOCALCLOUD_URL)
        host, protocol = parts.netloc, parts.scheme or "http"
    else:
        host, protocol = getattr(settings, "CAM_ENDPOINT", DEFAULT_ENDPOINT), "https"
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=host, protocol=protocol))
    # CAM is a global service: no region.
    return cam_client.CamClient(credential.Credential(secret_id, secret_key), "", profile)


def _call(cam: cam_client.CamClient, action: str, **params: Any) -> Any:
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps({k: v for k, v in params.items() if v is not None}))
    try:
        return getattr(cam, action)(request)
    except TencentCloudSDKException as exc:
        raise CamError(exc.get_code() or "CamUnavailable", exc.get_message() or str(exc)) from None


def trust_only(owner_uin: str, user_uin: int) -> dict[str, Any]:
    """A trust policy that lets one sub-user, and nobody else, assume the role."""
    principal = f"qcs::cam::uin/{owner_uin}:uin/{user_uin}"
    return {
        "version": "2.0",
        "statement": [{"action": "name/sts:AssumeRole", "effect": "allow", "principal": {"qcs": [principal]}}],
    }


def assume_only(role_arns: Sequence[str]) -> dict[str, Any]:
    """A permission policy that allows nothing but assuming these roles."""
    return {
        "version": "2.0",
        "statement": [{"effect": "allow", "action": ["name/sts:AssumeRole"], "resource": list(role_arns)}],
    }


def policy_ensure(cam: cam_client.CamClient, *, name: str, document: Mapping[str, Any], description: str) -> int:
    """The custom policy `name` with this document (created, or updated in place); its PolicyId."""
    text = json.dumps(document)
    try:
        return int(_call(cam, "CreatePolicy", PolicyName=name, PolicyDocument=text, Description=description).PolicyId)
    except CamError as exc:
        if exc.code != "FailedOperation.PolicyNameInUse":
            raise
    found = _call(cam, "ListPolicies", Keyword=name, Scope="Local", Rp=200)
    policy_id = next((int(p.PolicyId) for p in found.List or [] if p.PolicyName == name), None)
    if policy_id is None:
        raise CamError("FailedOperation.PolicyNameInUse", f"the policy {name} exists but ListPolicies does not show it")
    _call(cam, "UpdatePolicy", PolicyId=policy_id, PolicyDocument=text, Description=description)
    return policy_id


def role_ensure(cam: cam_client.CamClient, *, name: str, trust: Mapping[str, Any], description: str) -> None:
    """The role `name` with this trust policy (created, or its trust policy replaced)."""
    try:
        _call(cam, "GetRole", RoleName=name)
    except CamError as exc:
        if exc.code != "InvalidParameter.RoleNotExist":
            raise
        _call(cam, "CreateRole", RoleName=name, PolicyDocument=json.dumps(trust), Description=description)
        return
    _call(cam, "UpdateAssumeRolePolicy", RoleName=name, PolicyDocument=json.dumps(trust))


def role_attach(cam: cam_client.CamClient, *, role: str, policy_id: int) -> None:
    attached = _call(cam, "ListAttachedRolePolicies", RoleName=role, Page=1, Rp=200).List or []
    if not any(int(p.PolicyId) == policy_id for p in attached):
        _call(cam, "AttachRolePolicy", PolicyId=policy_id, AttachRoleName=role)


def user_ensure(cam: cam_client.CamClient, *, name: str, remark: str) -> int:
    """The sub-user `name` (API access only, no console login); its UIN."""
    try:
        return int(_call(cam, "GetUser", Name=name).Uin)
    except CamError as exc:
        if exc.code not in ("ResourceNotFound.UserNotExist", "ResourceNotFound.UserNotExists"):
            raise
    return int(_call(cam, "AddUser", Name=name, Remark=remark, ConsoleLogin=0, UseApi=0).Uin)


def user_attach(cam: cam_client.CamClient, *, uin: int, policy_id: int) -> None:
    attached = _call(cam, "ListAttachedUserPolicies", TargetUin=uin, Page=1, Rp=200).List or []
    if not any(int(p.PolicyId) == policy_id for p in attached):
        _call(cam, "AttachUserPolicy", PolicyId=policy_id, AttachUin=uin)


def access_key_ensure(cam: cam_client.CamClient, *, uin: int, held: str | None) -> tuple[str, str | None]:
    """(SecretId, SecretKey) of a key of the sub-user: the one held (SecretKey None) when CAM still has it active,
    else a new one (CAM shows a SecretKey only when it creates it)."""
    keys = _call(cam, "ListAccessKeys", TargetUin=uin).AccessKeys or []
    if held and any(k.AccessKeyId == held and k.Status == "Active" for k in keys):
        return held, None
    created = _call(cam, "CreateAccessKey", TargetUin=uin, Description="COS Sign Portal").AccessKey
    return str(created.AccessKeyId), str(created.SecretAccessKey)


def account_appid(cam: cam_client.CamClient) -> int:
    """The APPID of the account the key belongs to (the suffix of its bucket names)."""
    return int(_call(cam, "GetUserAppId").AppId)


def provision(
    cam: cam_client.CamClient,
    *,
    roles: Mapping[str, Mapping[str, Any]],
    user: str,
    held_secret_id: str | None,
) -> Provisioned:
    """Roles (name -> permission policy, each as a custom policy `<role>-policy`), trusted only by the sub-user
    `user`, whose one permission is to assume them; reusing the key the portal holds when it is still active."""
    ids = _call(cam, "GetUserAppId")
    owner_uin, appid = str(ids.OwnerUin), str(ids.AppId)
    uin = user_ensure(cam, name=user, remark="COS Sign Portal: may only assume its roles")
    arns: dict[str, str] = {}
    for name, document in roles.items():
        policy_id = policy_ensure(cam, name=f"{name}-policy", document=document, description=f"What {name} may do")
        role_ensure(cam, name=name, trust=trust_only(owner_uin, uin), description="COS Sign Portal")
        role_attach(cam, role=name, policy_id=policy_id)
        arns[name] = f"qcs::cam::uin/{owner_uin}:roleName/{name}"
    assume_id = policy_ensure(
        cam, name=f"{user}-assume", document=assume_only(list(arns.values())), description="Assume the portal roles"
    )
    user_attach(cam, uin=uin, policy_id=assume_id)
    secret_id, secret_key = access_key_ensure(cam, uin=uin, held=held_secret_id)
    return Provisioned(owner_uin, appid, uin, secret_id, secret_key, arns)
