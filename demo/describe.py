"""A CAM policy in plain words, for the "My access" page: what each statement allows or denies, where, and when."""

from __future__ import annotations

from typing import Any

from qcloud.policy import CLIENT_IP, CONTENT_LENGTH, CONTENT_TYPE, Policy
from qcloud.resources import parse_resource
from signer.limits import format_size

OPERATION_WORDS = {
    "GetService": "see the account's buckets",
    "HeadBucket": "check that a bucket exists",
    "GetBucket": "list files",
    "ListMultipartUploads": "find unfinished uploads (to resume them)",
    "PutObject": "upload files",
    "PostObject": "upload files with a form",
    "InitiateMultipartUpload": "start multipart uploads",
    "UploadPart": "upload parts",
    "ListParts": "list uploaded parts",
    "CompleteMultipartUpload": "complete multipart uploads",
    "AbortMultipartUpload": "cancel multipart uploads",
    "GetObject": "download files",
    "HeadObject": "read file details",
    "DeleteObject": "delete files",
    "PutBucket": "create buckets",
    "DeleteBucket": "delete buckets",
    "PutBucketCORS": "set CORS rules",
    "GetBucketCORS": "read CORS rules",
    "DeleteBucketCORS": "remove CORS rules",
}
CONDITION_WORDS = {
    "numeric_less_than_equal": "at most",
    "numeric_greater_than_equal": "at least",
    "numeric_equal": "exactly",
    "string_equal": "one of",
    "string_like": "matching",
    "ip_equal": "from",
    "ip_not_equal": "not from",
}


def describe_actions(actions: tuple[str, ...]) -> str:
    words = []
    for action in actions:
        if action in {"*", "name/cos:*"}:
            words.append("do anything in COS")
            continue
        operation = action.split(":", 1)[-1]
        words.append(OPERATION_WORDS.get(operation, operation))
    return ", ".join(dict.fromkeys(words))


def describe_resource(resource: str) -> str:
    if resource == "*":
        return "everything in the account"
    parsed = parse_resource(resource)
    if parsed is None:
        return resource
    where = "any region" if parsed.region in {"", "*"} else parsed.region
    bucket_words = "every bucket" if parsed.bucket == "*" else f"bucket {parsed.bucket}"
    key = parsed.key
    if key is None:
        return f"{bucket_words} and everything in it ({where})"
    if not key:
        return f"{bucket_words} itself ({where})"
    if key == "*":
        return f"every file in {bucket_words} ({where})"
    if key.endswith("*") and "*" not in key[:-1]:
        return f"files under {key[:-1]} in {bucket_words} ({where})"
    return f"{key} in {bucket_words} ({where})"


def describe_condition(operator: str, key: str, values: tuple[str, ...]) -> str:
    words = CONDITION_WORDS.get(operator, operator)
    if key == CONTENT_LENGTH:
        return f"file size {words} {', '.join(format_size(int(float(v))) for v in values)}"
    if key == CONTENT_TYPE:
        return f"content type {words} {', '.join(values)}"
    if key == CLIENT_IP:
        return f"only {words} {', '.join(values)}"
    return f"{key} {operator} {', '.join(values)}"


def describe_policy(policy: Policy) -> list[dict[str, Any]]:
    return [
        {
            "effect": "Allows" if statement.effect == "allow" else "Denies",
            "allow": statement.effect == "allow",
            "actions": describe_actions(statement.actions),
            "resources": [describe_resource(r) for r in statement.resources],
            "conditions": [describe_condition(c.operator, c.key, c.values) for c in statement.conditions],
            "raw_actions": statement.actions,
        }
        for statement in policy.statements
    ]
