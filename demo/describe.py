"""A CAM policy in plain words, for the "My access" page: what each statement allows or denies, where, and when."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from qcloud.policy import CLIENT_IP, CONTENT_LENGTH, CONTENT_TYPE, Policy
from qcloud.resources import parse_resource
from signer.limits import format_size

OPERATION_WORDS = {
    "GetService": gettext_lazy("see the account's buckets"),
    "HeadBucket": gettext_lazy("check that a bucket exists"),
    "GetBucket": gettext_lazy("list files"),
    "ListMultipartUploads": gettext_lazy("find unfinished uploads (to resume them)"),
    "PutObject": gettext_lazy("upload files"),
    "PostObject": gettext_lazy("upload files with a form"),
    "InitiateMultipartUpload": gettext_lazy("start multipart uploads"),
    "UploadPart": gettext_lazy("upload parts"),
    "ListParts": gettext_lazy("list uploaded parts"),
    "CompleteMultipartUpload": gettext_lazy("complete multipart uploads"),
    "AbortMultipartUpload": gettext_lazy("cancel multipart uploads"),
    "GetObject": gettext_lazy("download files"),
    "HeadObject": gettext_lazy("read file details"),
    "DeleteObject": gettext_lazy("delete files"),
    "PutBucket": gettext_lazy("create buckets"),
    "DeleteBucket": gettext_lazy("delete buckets"),
    "PutBucketCORS": gettext_lazy("set CORS rules"),
    "GetBucketCORS": gettext_lazy("read CORS rules"),
    "DeleteBucketCORS": gettext_lazy("remove CORS rules"),
}
CONDITION_WORDS = {
    "numeric_less_than_equal": pgettext_lazy("policy condition", "at most"),
    "numeric_greater_than_equal": pgettext_lazy("policy condition", "at least"),
    "numeric_equal": pgettext_lazy("policy condition", "exactly"),
    "string_equal": pgettext_lazy("policy condition", "one of"),
    "string_like": pgettext_lazy("policy condition", "matching"),
    "ip_equal": pgettext_lazy("policy condition", "from"),
    "ip_not_equal": pgettext_lazy("policy condition", "not from"),
}


def describe_actions(actions: tuple[str, ...]) -> str:
    words = []
    for action in actions:
        if action in {"*", "name/cos:*"}:
            words.append(_("do anything in COS"))
            continue
        operation = action.split(":", 1)[-1]
        words.append(str(OPERATION_WORDS.get(operation, operation)))
    return pgettext("list separator", ", ").join(dict.fromkeys(words))


def describe_resource(resource: str) -> str:
    if resource == "*":
        return _("everything in the account")
    parsed = parse_resource(resource)
    if parsed is None:
        return resource
    where = _("any region") if parsed.region in {"", "*"} else parsed.region
    bucket_words = _("every bucket") if parsed.bucket == "*" else _("bucket %(bucket)s") % {"bucket": parsed.bucket}
    key = parsed.key
    if key is None:
        return _("%(bucket)s and everything in it (%(where)s)") % {"bucket": bucket_words, "where": where}
    if not key:
        return _("%(bucket)s itself (%(where)s)") % {"bucket": bucket_words, "where": where}
    if key == "*":
        return _("every file in %(bucket)s (%(where)s)") % {"bucket": bucket_words, "where": where}
    if key.endswith("*") and "*" not in key[:-1]:
        return _("files under %(prefix)s in %(bucket)s (%(where)s)") % {
            "prefix": key[:-1],
            "bucket": bucket_words,
            "where": where,
        }
    return _("%(key)s in %(bucket)s (%(where)s)") % {"key": key, "bucket": bucket_words, "where": where}


def describe_condition(operator: str, key: str, values: tuple[str, ...]) -> str:
    words = str(CONDITION_WORDS.get(operator, operator))
    listed = pgettext("list separator", ", ").join(values)
    if key == CONTENT_LENGTH:
        sizes = pgettext("list separator", ", ").join(format_size(int(float(v))) for v in values)
        return _("file size %(words)s %(sizes)s") % {"words": words, "sizes": sizes}
    if key == CONTENT_TYPE:
        return _("content type %(words)s %(types)s") % {"words": words, "types": listed}
    if key == CLIENT_IP:
        return _("only %(words)s %(networks)s") % {"words": words, "networks": listed}
    return f"{key} {operator} {', '.join(values)}"


def describe_policy(policy: Policy) -> list[dict[str, Any]]:
    return [
        {
            "allow": statement.effect == "allow",
            "actions": describe_actions(statement.actions),
            "resources": [describe_resource(r) for r in statement.resources],
            "conditions": [describe_condition(c.operator, c.key, c.values) for c in statement.conditions],
            "raw_actions": statement.actions,
        }
        for statement in policy.statements
    ]
