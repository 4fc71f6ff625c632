"""Scope maths: what one request of cos-js-sdk-v5's getAuthorization `Scope` is about, whether a policy allows it,
and the narrowed policy that allows exactly the scopes asked for (the /sts and /sign POST bodies)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from qcloud import policy as cam
from qcloud.buckets import BucketNameError, split_bucket
from qcloud.operations import OPERATIONS, resources_for
from qcloud.regions import is_region
from signer.errors import InvalidScope, ScopeNotAllowed

MAX_SCOPES = 100
ACTION_PREFIX = "name/cos:"


@dataclass(frozen=True)
class Scope:
    """One entry of cos-js-sdk-v5's getAuthorization `Scope`: what a single request is about to do."""

    action: str  # "name/cos:PutObject"
    bucket: str  # full name, "demo-1250000000"
    region: str
    prefix: str  # the object key, or the listing prefix

    def describe(self) -> str:
        return f"{self.action} on {self.bucket}/{self.prefix} in {self.region}"


def scope_validate(scope: Scope) -> None:
    """InvalidScope (400) for a scope that is not shaped like one cos-js-sdk-v5 sends."""
    where = f"scope {{{scope.describe()}}}"
    if not scope.action.startswith(ACTION_PREFIX) or not scope.action[len(ACTION_PREFIX) :].isalpha():
        raise InvalidScope(f"{where}: action must look like 'name/cos:PutObject', got {scope.action!r}")
    operation = scope.action[len(ACTION_PREFIX) :]
    if operation == "GetService":
        return
    try:
        split_bucket(scope.bucket)
    except BucketNameError as exc:
        raise InvalidScope(f"{where}: bucket: {exc}") from None
    if not is_region(scope.region):
        raise InvalidScope(f"{where}: unknown region {scope.region!r}")
    if OPERATIONS.get(operation) == "object" and not scope.prefix:
        raise InvalidScope(f"{where}: {operation} needs the object key in 'prefix'")


def scope_resources(scope: Scope) -> tuple[list[str], list[str]]:
    """(resources the user's policy is checked against, resources the issued policy grants), for a valid scope."""
    operation = scope.action[len(ACTION_PREFIX) :]
    if operation == "GetService":
        return ["*"], ["*"]
    _, appid = split_bucket(scope.bucket)
    level = OPERATIONS.get(operation) or ("object" if scope.prefix else "bucket")
    if level == "service":
        return ["*"], ["*"]
    bucket_resource = cam.resource_name(scope.region, appid, scope.bucket, "")
    if level == "object":
        resource = cam.resource_name(scope.region, appid, scope.bucket, scope.prefix)
        return [resource], [resource]
    if operation in OPERATIONS:
        checked = resources_for(
            operation, region=scope.region, appid=appid, bucket=scope.bucket, key="", prefix=scope.prefix
        )
    else:
        checked = [bucket_resource]
    granted = cam.resource_name(scope.region, appid, scope.bucket, scope.prefix) if len(checked) > 1 else checked[0]
    return checked, [granted]


def scopes_narrow(policy: cam.Policy, scopes: list[Scope], *, policy_name: str) -> cam.Policy:
    """The policy that allows exactly `scopes`, each of which `policy` must allow (else ScopeNotAllowed).

    Scopes are checked without request context: an allow statement with conditions counts (its conditions travel
    into the issued statement, so COS still enforces them), a deny with conditions is kept as it is.
    """
    if len(scopes) > MAX_SCOPES:
        raise InvalidScope(f"at most {MAX_SCOPES} scopes may be requested at once, got {len(scopes)}")
    unconditional = cam.Policy(
        statements=tuple(dataclasses.replace(s, conditions=()) if s.effect == "allow" else s for s in policy.statements)
    )
    granted: dict[tuple[tuple[str, ...], tuple[cam.Condition, ...]], list[str]] = {}
    for index, scope in enumerate(scopes):
        scope_validate(scope)
        checked, resources = scope_resources(scope)
        decision = cam.evaluate(unconditional, scope.action, checked)
        if not decision.allowed or decision.statement is None:
            raise ScopeNotAllowed(
                f"scope {index + 1} ({scope.describe()}) is not allowed by your policy {policy_name!r}"
            )
        conditions = policy.statements[decision.statement].conditions
        actions = granted.setdefault((tuple(resources), conditions), [])
        if scope.action not in actions:
            actions.append(scope.action)
    statements = [
        cam.Statement(effect="allow", actions=tuple(actions), resources=resources, conditions=conditions)
        for (resources, conditions), actions in granted.items()
    ]
    # The policy's denials hold for the narrowed credentials too, conditions and all (COS evaluates them).
    statements.extend(s for s in policy.statements if s.effect == "deny")
    return cam.Policy(statements=tuple(statements))


def bucket_hint(policy: cam.Policy) -> str | None:
    """The first concrete bucket an allow statement names, for clients that want a sensible default."""
    for statement in policy.statements:
        if statement.effect != "allow":
            continue
        for resource in statement.resources:
            parts = resource.split(":", 5)
            if len(parts) == 6 and parts[2] == "cos":
                bucket = parts[5].split("/", 1)[0]
                if bucket and "*" not in bucket and "$" not in bucket:
                    return bucket
    return None
