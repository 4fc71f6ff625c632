"""The portal's only door to Tencent Cloud STS: a thin wrapper around tencentcloud-sdk-python-sts.

Local mode talks to localcloud at settings.LOCALCLOUD_URL over http; tencent mode to settings.STS_ENDPOINT
(sts.tencentcloudapi.com) over https. Every SDK failure becomes one of two exceptions: StsError when STS answered
with an error code (bad key, bad policy, ...), signer.errors.StsUnavailable when it could not be reached or did not
answer in time. Neither ever carries a secret.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sts.v20180813 import models, sts_client

from signer import metrics
from signer.errors import StsUnavailable
from signer.logging import RedactSecretsFilter

if TYPE_CHECKING:
    from signer.models import CloudAccount

# The SDK logs whole responses (temporary keys included) at DEBUG: redact at the source, for every handler.
for _name in ("tencentcloud_sdk_common",):
    logging.getLogger(_name).addFilter(RedactSecretsFilter())

logger = logging.getLogger(__name__)

# SDK codes that mean "STS was not reached or did not answer properly", as opposed to an answer with an error code.
_UNAVAILABLE_CODES = frozenset(
    {"ClientNetworkError", "ServerNetworkError", "JSONDecodeError", "ValueError", "KeyError", "TypeError"}
)
# STS's per-account quota (600 calls/s for GetFederationToken and AssumeRole): a second later it admits again.
_QUOTA_CODE = "RequestLimitExceeded"
DEFAULT_REGION = "ap-guangzhou"
_NAME_UNSAFE = re.compile(r"[^\w+=,.@-]", re.ASCII)


class StsError(Exception):
    """STS answered with an error: `code` such as "AuthFailure.SecretIdNotFound"."""

    def __init__(self, code: str, message: str, request_id: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id


@dataclass(frozen=True)
class StsCredentials:
    tmp_secret_id: str
    tmp_secret_key: str
    session_token: str
    expired_time: int
    expiration: str
    request_id: str

    def __repr__(self) -> str:  # never print a secret
        return f"StsCredentials(tmp_secret_id={self.tmp_secret_id!r}, expired_time={self.expired_time})"


@dataclass(frozen=True)
class Endpoint:
    host: str  # "host[:port]", what HttpProfile calls the endpoint
    protocol: str  # "http" | "https"


def endpoint() -> Endpoint:
    """Where STS is in this mode: localcloud in local mode, the real service in tencent mode."""
    if settings.LOCAL_MODE:
        parts = urlsplit(settings.LOCALCLOUD_URL)
        return Endpoint(host=parts.netloc, protocol=parts.scheme or "http")
    return Endpoint(host=settings.STS_ENDPOINT, protocol="https")


def client(*, secret_id: str, secret_key: str, region: str) -> sts_client.StsClient:
    where = endpoint()
    http_profile = HttpProfile(endpoint=where.host, protocol=where.protocol, reqTimeout=settings.STS_TIMEOUT)
    profile = ClientProfile(httpProfile=http_profile, language="en-US")
    sts = sts_client.StsClient(credential.Credential(secret_id, secret_key), region or DEFAULT_REGION, profile)
    if settings.LOCAL_MODE:
        # localcloud is on loopback: never send it through a proxy from the environment.
        session = getattr(getattr(getattr(sts, "request", None), "conn", None), "_session", None)
        if session is not None:
            session.trust_env = False
    return sts


def _safe_name(value: str, limit: int) -> str:
    """Names STS accepts: letters, digits and `_+=,.@-`, at most `limit` characters, never empty."""
    cleaned = _NAME_UNSAFE.sub("_", value)[:limit]
    return cleaned if len(cleaned) >= 2 else f"{cleaned}__"[:limit]


def encode_policy(policy: dict[str, Any]) -> str:
    """The Policy parameter: compact JSON, URL-encoded as the API asks."""
    return quote(json.dumps(policy, separators=(",", ":"), sort_keys=False), safe="")


def _call(action: str, sts: sts_client.StsClient, request: Any) -> Any:
    try:
        response = getattr(sts, action)(request)
    except TencentCloudSDKException as exc:
        code = str(exc.get_code() or "")
        metrics.sts_called(action, "unavailable" if code in _UNAVAILABLE_CODES else "error")
        if code in _UNAVAILABLE_CODES:
            logger.warning("STS %s unavailable: %s", action, code)
            # Not reached, answered something that is not STS, or not within settings.STS_TIMEOUT.
            raise StsUnavailable(
                format_lazy(_("STS did not answer {action} ({code})"), action=action, code=code)
            ) from None
        if code == _QUOTA_CODE:
            logger.warning("STS %s over the account's quota: %s", action, code)
            raise StsUnavailable(
                format_lazy(_("STS is over this account's request quota ({code}); try again shortly"), code=code),
                code_desc=_QUOTA_CODE,
                retry_after=1,
            ) from None
        message = str(exc.get_message() or "").split("\n", 1)[0][:300]
        logger.warning("STS %s failed: %s (request %s)", action, code, exc.get_request_id())
        raise StsError(code or "UnknownError", message, str(exc.get_request_id() or "")) from None
    metrics.sts_called(action, "success")
    return response


def _credentials(response: Any) -> StsCredentials:
    creds = response.Credentials
    return StsCredentials(
        tmp_secret_id=creds.TmpSecretId,
        tmp_secret_key=creds.TmpSecretKey,
        session_token=creds.Token,
        expired_time=int(response.ExpiredTime),
        expiration=str(response.Expiration),
        request_id=str(response.RequestId or ""),
    )


def get_federation_token(
    *, secret_id: str, secret_key: str, region: str, name: str, policy: dict[str, Any], duration: int
) -> StsCredentials:
    request = models.GetFederationTokenRequest()
    request.Name = _safe_name(name, 32)
    request.Policy = encode_policy(policy)
    request.DurationSeconds = duration
    sts = client(secret_id=secret_id, secret_key=secret_key, region=region)
    return _credentials(_call("GetFederationToken", sts, request))


def assume_role(
    *,
    secret_id: str,
    secret_key: str,
    region: str,
    role_arn: str,
    session_name: str,
    policy: dict[str, Any] | None,
    duration: int,
) -> StsCredentials:
    request = models.AssumeRoleRequest()
    request.RoleArn = role_arn
    request.RoleSessionName = _safe_name(session_name, 64)
    request.DurationSeconds = duration
    if policy is not None:
        request.Policy = encode_policy(policy)
    sts = client(secret_id=secret_id, secret_key=secret_key, region=region)
    return _credentials(_call("AssumeRole", sts, request))


def credentials_for_account(
    *, account: CloudAccount, policy: dict[str, Any], duration: int, username: str
) -> StsCredentials:
    """Credentials under `policy` with the account's keys: AssumeRole for a role-based account, else
    GetFederationToken."""
    if account.role_arn:
        return assume_role(
            secret_id=account.secret_id,
            secret_key=account.secret_key,
            region=account.default_region,
            role_arn=account.role_arn,
            session_name=f"portal-{username}",
            policy=policy,
            duration=duration,
        )
    return get_federation_token(
        secret_id=account.secret_id,
        secret_key=account.secret_key,
        region=account.default_region,
        name=f"portal-{username}",
        policy=policy,
        duration=duration,
    )
