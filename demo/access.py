"""What the signed-in user may see and do: the one place every demo view asks.

`access_for(request)` fetches the user's temporary credentials from the signer service (never an admin secret) and
keeps the user's rendered policy next to them, so a page can decide what to offer (an upload prefix, a Delete button)
without a round trip, while COS (or localcloud) stays the judge of every actual request.
`bucket_for_user(...)` answers 404 for a region that does not exist or a bucket the policy says nothing about, so one
user never learns what another user's buckets hold.

The pages' own COS calls (listing, deleting, creating buckets) reach COS from the portal's address, not the user's,
so COS cannot apply a policy's client networks (`qcs:ip`) to them: `UserAccess.check_network` does, with the address
signer.net.client_ip gives (the client's, behind trusted proxies), before every such call.

A user with several policies chooses on "My access" which one the pages use (`policy_choose`, kept in the session);
`access_for` and the page's own /sts calls then ask for that one, and the header shows it (`policy_in_use`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from demo import cos
from qcloud.buckets import BucketNameError, split_bucket
from qcloud.operations import OPERATIONS, action_for, authorize
from qcloud.policy import (
    CLIENT_IP,
    CONTENT_LENGTH,
    CONTENT_TYPE,
    FORBID_OVERWRITE,
    Decision,
    Policy,
    RequestContext,
    Statement,
    action_matches,
)
from qcloud.regions import is_region
from qcloud.resources import granted_prefix
from signer.net import client_ip
from signer.selectors import policies_for_user, policy_for_user
from signer.services import TemporaryCredentials, credentials_issue

POLICY_SESSION_KEY = "demo:policy"


@dataclass(frozen=True)
class UploadLimits:
    """What a policy's conditions demand of an upload, for the page to check before sending; None / () when
    unrestricted."""

    max_size: int | None = None
    content_types: tuple[str, ...] = ()
    # Whether the page may upload in parts: not under a size or type limit (the credentials allow single PUTs only),
    # nor under "forbid overwriting" (see upload_limits).
    multipart: bool = True
    # Whether every upload must carry x-cos-forbid-overwrite: true (the policy forbids replacing objects).
    forbid_overwrite: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "maxSize": self.max_size,
            "contentTypes": list(self.content_types),
            "multipart": self.multipart,
            "forbidOverwrite": self.forbid_overwrite,
        }


@dataclass
class UserAccess:
    user: AbstractBaseUser | AnonymousUser
    credentials: TemporaryCredentials
    policy: Policy
    policy_name: str
    client_ip: str | None = None

    @cached_property
    def keys(self) -> cos.Keys:
        return cos.keys_from(self.credentials)

    @property
    def appid(self) -> str:
        return self.credentials.appid

    @property
    def policies(self) -> list[Policy]:
        return [self.policy]

    @cached_property
    def _from_anywhere(self) -> list[Policy]:
        """What the policy allows before any request context is known."""
        return [self.policy.without_allow_conditions()]

    @cached_property
    def _from_here(self) -> list[Policy]:
        """What the policy allows from this client's address, before the rest of the request is known."""
        return [self.policy.without_allow_conditions(keep=(CLIENT_IP,))]

    def can(
        self,
        operation: str,
        *,
        region: str,
        bucket: str | None,
        key: str = "",
        prefix: str = "",
        context: RequestContext | None = None,
    ) -> Decision:
        return authorize(
            self.policies,
            operation,
            region=region,
            appid=self.appid,
            bucket=bucket,
            key=key,
            prefix=prefix,
            context=context or RequestContext(ip=self.client_ip),
        )

    def check_network(
        self, operation: str, *, region: str, bucket: str | None = None, key: str = "", prefix: str = ""
    ) -> None:
        """Refuse, as COS would, an operation the policy allows but not from this client's network.

        Call it before every COS call the portal makes on the user's behalf: COS sees the portal's address there,
        not the user's. What the policy refuses anyway is left to COS to refuse (with its own message).
        """

        def allows(policies: list[Policy], context: RequestContext | None = None) -> bool:
            return authorize(
                policies,
                operation,
                region=region,
                appid=self.appid,
                bucket=bucket,
                key=key,
                prefix=prefix,
                context=context,
            ).allowed

        if allows(self._from_anywhere) and not allows(self._from_here, RequestContext(ip=self.client_ip)):
            raise cos.CosError(
                "AccessDenied",
                (
                    _(
                        "Your policy allows %(action)s only from certain networks, "
                        "and this request comes from %(address)s."
                    )
                    % {"action": action_for(operation), "address": self.client_ip or _("an unknown address")}
                ),
                403,
            )

    def allowed_prefixes(self, operation: str, *, region: str, bucket: str) -> list[str]:
        """Key prefixes under which the policy allows `operation` in this bucket ("" = the whole bucket).

        Read from the allow statements' resources (`.../<bucket>/users/alice/*` -> "users/alice/"); a prefix is kept
        only if a deny does not cancel it, so what the page offers is what COS will accept.
        """
        found: list[str] = []
        for statement in self._allowing(operation):
            for resource in statement.resources:
                prefix = granted_prefix(resource, region=region, appid=self.appid, bucket=bucket)
                if prefix is not None and prefix not in found:
                    found.append(prefix)
        usable = []
        for prefix in sorted(found, key=len):
            probe = f"{prefix}probe" if OPERATIONS[operation] == "object" else ""
            decision = authorize(
                self._from_here,
                operation,
                region=region,
                appid=self.appid,
                bucket=bucket,
                key=probe,
                prefix=prefix,
                context=RequestContext(ip=self.client_ip),
            )
            if decision.allowed:
                usable.append(prefix)
        return usable

    def _allowing(self, operation: str) -> list[Statement]:
        """The policy's allow statements that name `operation`'s action."""
        action = action_for(operation)
        return [
            statement
            for statement in self.policy.statements
            if statement.effect == "allow" and any(action_matches(p, action) for p in statement.actions)
        ]

    def list_root(self, *, region: str, bucket: str) -> str | None:
        """Where browsing a bucket starts: "" when the whole bucket may be listed, else the policy's own prefix."""
        prefixes = self.allowed_prefixes("GetBucket", region=region, bucket=bucket)
        return prefixes[0] if prefixes else None

    def upload_prefix(self, *, region: str, bucket: str) -> str | None:
        prefixes = self.allowed_prefixes("PutObject", region=region, bucket=bucket)
        return prefixes[0] if prefixes else None

    def sees_bucket(self, *, region: str, bucket: str) -> bool:
        """A bucket is the user's to see when the policy allows anything in it (head, list, read or write)."""
        if self.can("HeadBucket", region=region, bucket=bucket).allowed:
            return True
        return any(
            self.allowed_prefixes(operation, region=region, bucket=bucket)
            for operation in ("GetBucket", "GetObject", "PutObject")
        )

    def _denying(self, operation: str) -> bool:
        action = action_for(operation)
        return any(
            statement.effect == "deny"
            and not statement.conditions
            and any(action_matches(p, action) for p in statement.actions)
            for statement in self.policy.statements
        )

    def upload_limits(self) -> UploadLimits:
        """The tightest size and content-type conditions on the statements that allow PutObject; whether multipart
        uploads are allowed at all; whether uploads must say x-cos-forbid-overwrite."""
        max_size: int | None = None
        types: list[str] = []
        forbid_overwrite = False
        for statement in self._allowing("PutObject"):
            for condition in statement.conditions:
                if condition.key == FORBID_OVERWRITE and condition.values == ("true",):
                    forbid_overwrite = True
                if condition.key == CONTENT_LENGTH and condition.operator in {
                    "numeric_less_than_equal",
                    "numeric_equal",
                }:
                    for value in condition.values:
                        limit = int(float(value))
                        max_size = limit if max_size is None else min(max_size, limit)
                elif condition.key == CONTENT_TYPE and condition.operator in {"string_like", "string_equal"}:
                    types.extend(v for v in condition.values if v not in types)
        # Under "forbid overwriting" the credentials allow multipart uploads whose completion says
        # x-cos-forbid-overwrite, but cos-js-sdk-v5's uploadFile does not pass that header on to
        # CompleteMultipartUpload (src/advance.js): the page uploads such files as single requests (up to 5 GB).
        multipart = not forbid_overwrite and all(
            self._allowing(operation) and not self._denying(operation)
            for operation in ("InitiateMultipartUpload", "UploadPart", "CompleteMultipartUpload")
        )
        return UploadLimits(max_size, tuple(types), multipart, forbid_overwrite)


def access_for(request: HttpRequest) -> UserAccess:
    """The signed-in user's credentials and policy. Raises signer.errors.SignerError (NoPolicy, StsUnavailable...)."""
    cached = getattr(request, "_demo_access", None)
    if isinstance(cached, UserAccess):
        return cached
    user = request.user
    ip = client_ip(request)
    credentials = credentials_issue(
        user=user,
        policy_name=chosen_policy(request),
        client_ip=ip,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        audit_each_use=False,
    )
    # The credentials carry the policy they were issued under: rendering it again here would be the same work.
    access = UserAccess(
        user=user, credentials=credentials, policy=credentials.policy, policy_name=credentials.policy_name, client_ip=ip
    )
    request._demo_access = access  # type: ignore[attr-defined]
    return access


def chosen_policy(request: HttpRequest) -> str | None:
    """The policy the user chose for the pages, while it is still one of theirs; None: their default.

    A choice the user no longer has (unassigned, renamed) is forgotten, so the pages fall back to the default rather
    than fail."""
    name = request.session.get(POLICY_SESSION_KEY)
    if not isinstance(name, str) or not name:
        return None
    if any(policy.name == name for policy in policies_for_user(request.user)):
        return name
    request.session.pop(POLICY_SESSION_KEY, None)
    return None


def policy_choose(request: HttpRequest, name: str) -> str:
    """Make `name` the policy the pages use ("": back to the user's default), and return the name now in use.

    signer.errors.UnknownPolicy when it is not one of the user's (NoPolicy when they have none)."""
    chosen = policy_for_user(request.user, name or None).name
    if name:
        request.session[POLICY_SESSION_KEY] = chosen
    else:
        request.session.pop(POLICY_SESSION_KEY, None)
    request._demo_access = None  # type: ignore[attr-defined]
    return chosen


def policy_in_use(request: HttpRequest) -> str | None:
    """The name of the policy the pages use: the one chosen, else the user's default; None without any."""
    if not request.user.is_authenticated:
        return None
    chosen = chosen_policy(request)
    if chosen is not None:
        return chosen
    policies = policies_for_user(request.user)
    return policies[0].name if policies else None


@dataclass(frozen=True)
class BucketRef:
    region: str
    bucket: str  # full name "<name>-<appid>"
    name: str  # short name


def bucket_for_user(request: HttpRequest, region: str, bucket: str) -> tuple[UserAccess, BucketRef]:
    """The bucket if this user may see it; Http404 otherwise (unknown region, malformed name, nothing allowed)."""
    if not is_region(region):
        raise Http404("No such region")
    try:
        name, _appid = split_bucket(bucket)
    except BucketNameError:
        raise Http404("No such bucket") from None
    access = access_for(request)
    if not access.sees_bucket(region=region, bucket=bucket):
        raise Http404("No such bucket")
    return access, BucketRef(region=region, bucket=bucket, name=name)
