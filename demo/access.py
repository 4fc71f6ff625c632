"""What the signed-in user may see and do: the one place every demo view asks.

`access_for(request)` fetches the user's temporary credentials from the signer service (never an admin secret) and
keeps the user's rendered policy next to them, so a page can decide what to offer (an upload prefix, a Delete button)
without a round trip, while COS (or localcloud) stays the judge of every actual request.
`bucket_for_user(...)` answers 404 for a region that does not exist or a bucket the policy says nothing about, so one
user never learns what another user's buckets hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404, HttpRequest

from demo import cos
from qcloud.buckets import BucketNameError, split_bucket
from qcloud.operations import OPERATIONS, action_for, authorize
from qcloud.policy import Decision, Policy, RequestContext, glob_match
from qcloud.regions import is_region
from signer.selectors import policy_for_user
from signer.services import TemporaryCredentials, credentials_issue


@dataclass(frozen=True)
class UploadLimits:
    """What a policy's conditions demand of an upload (issue 7); None / () when unrestricted."""

    max_size: int | None = None
    content_types: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"maxSize": self.max_size, "contentTypes": list(self.content_types)}


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

    def allowed_prefixes(self, operation: str, *, region: str, bucket: str) -> list[str]:
        """Key prefixes under which the policy allows `operation` in this bucket ("" = the whole bucket).

        Read from the allow statements' resources (`.../<bucket>/users/alice/*` -> "users/alice/"); a prefix is kept
        only if a deny does not cancel it, so what the page offers is what COS will accept.
        """
        action = action_for(operation)
        found: list[str] = []
        for statement in self.policy.statements:
            if statement.effect != "allow" or not any(glob_match(p, action) for p in statement.actions):
                continue
            for resource in statement.resources:
                prefix = _key_prefix(resource, region=region, appid=self.appid, bucket=bucket)
                if prefix is not None and prefix not in found:
                    found.append(prefix)
        usable = []
        for prefix in sorted(found, key=len):
            probe = f"{prefix}probe" if OPERATIONS[operation] == "object" else ""
            decision = authorize(
                self.policies,
                operation,
                region=region,
                appid=self.appid,
                bucket=bucket,
                key=probe,
                prefix=prefix,
                context=_lenient_context(self.policy, self.client_ip),
            )
            if decision.allowed:
                usable.append(prefix)
        return usable

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

    def upload_limits(self) -> UploadLimits:
        """The tightest size and content-type conditions on the statements that allow PutObject."""
        max_size: int | None = None
        types: list[str] = []
        upload = action_for("PutObject")
        for statement in self.policy.statements:
            if statement.effect != "allow" or not any(glob_match(p, upload) for p in statement.actions):
                continue
            for condition in statement.conditions:
                if condition.key == "cos:content-length" and condition.operator in {
                    "numeric_less_than_equal",
                    "numeric_equal",
                }:
                    for value in condition.values:
                        limit = int(float(value))
                        max_size = limit if max_size is None else min(max_size, limit)
                elif condition.key == "cos:content-type" and condition.operator in {"string_like", "string_equal"}:
                    types.extend(v for v in condition.values if v not in types)
        return UploadLimits(max_size, tuple(types))


def _lenient_context(policy: Policy, ip: str | None) -> RequestContext:
    """A request context that satisfies size/type conditions, to ask "is this prefix usable at all"."""
    content_type = None
    for statement in policy.statements:
        for condition in statement.conditions:
            if condition.key == "cos:content-type" and condition.values:
                content_type = condition.values[0].replace("*", "x")
    return RequestContext(content_length=1, content_type=content_type or "application/octet-stream", ip=ip)


def _key_prefix(resource: str, *, region: str, appid: str, bucket: str) -> str | None:
    """The key prefix a resource pattern grants in `bucket`, or None when it does not cover the bucket."""
    if resource == "*":
        return ""
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != "qcs" or parts[2] != "cos":
        return None
    _, _, _, region_pattern, owner_pattern, path = parts
    if region_pattern and not glob_match(region_pattern, region):
        return None
    if owner_pattern and not glob_match(owner_pattern, f"uid/{appid}"):
        return None
    bucket_pattern, slash, key_pattern = path.partition("/")
    if not glob_match(bucket_pattern, bucket):
        return None
    if not slash:
        # "<bucket>*"-style patterns: the whole bucket when the star reaches past the name.
        return "" if bucket_pattern.endswith("*") else None
    if not key_pattern:
        return ""  # the bucket itself: bucket-level operations (listing) cover the whole bucket
    star = key_pattern.find("*")
    if star < 0:
        return None  # one exact key: nothing to browse or upload under
    return key_pattern[:star]


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def access_for(request: HttpRequest) -> UserAccess:
    """The signed-in user's credentials and policy. Raises signer.errors.SignerError (NoPolicy, StsUnavailable...)."""
    cached = getattr(request, "_demo_access", None)
    if isinstance(cached, UserAccess):
        return cached
    user = request.user
    ip = client_ip(request)
    credentials = credentials_issue(user=user, client_ip=ip, user_agent=request.META.get("HTTP_USER_AGENT", ""))
    access_policy = policy_for_user(user)
    access = UserAccess(
        user=user, credentials=credentials, policy=access_policy.render(user), policy_name=access_policy.name
    )
    access.client_ip = ip
    request._demo_access = access  # type: ignore[attr-defined]
    return access


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


def key_in_prefixes(key: str, prefixes: Sequence[str]) -> bool:
    return any(key.startswith(prefix) for prefix in prefixes)
