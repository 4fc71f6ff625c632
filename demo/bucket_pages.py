"""A bucket as a whole: its details (region, CORS rules, ACL) and deleting it once it is empty.

Each part is asked of COS with the signed-in user's temporary credentials; a part the policy does not allow is not
asked at all and says so, with the action it needs. COS judges the rest: a bucket that still holds objects is
refused with COS's own message (BucketNotEmpty).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from demo import cos
from demo.access import UserAccess, bucket_for_user
from demo.errors import Denied, cos_error_page, demo_view, denied_page
from demo.regions_i18n import local_region_name
from demo.views import resource_of


@dataclass(frozen=True)
class Part:
    """One part of the details page: what COS answered, or why it was not asked / what it refused."""

    operation: str
    value: Any = None
    denied: Denied | None = None  # the policy does not allow it (not asked) or COS said AccessDenied
    error: cos.CosError | None = None  # anything else COS answered


def _part(access: UserAccess, operation: str, region: str, bucket: str, fetch: Any) -> Part:
    denied = Denied(operation, resource_of(access, operation, region=region, bucket=bucket))
    if not access.can(operation, region=region, bucket=bucket).allowed:
        return Part(operation, denied=denied)
    try:
        access.check_network(operation, region=region, bucket=bucket)
        return Part(operation, value=fetch(access.keys, region=region, bucket=bucket))
    except cos.CosError as exc:
        if exc.code == "AccessDenied":
            return Part(operation, denied=denied, error=exc)
        return Part(operation, error=exc)


@demo_view
@require_GET
def bucket_details(request: HttpRequest, region: str, bucket: str) -> HttpResponse:
    access, ref = bucket_for_user(request, region, bucket)
    context = {
        "ref": ref,
        "region": region,
        "bucket": bucket,
        "region_name": local_region_name(region),
        "cors": _part(access, "GetBucketCORS", region, bucket, cos.get_bucket_cors),
        "acl": _part(access, "GetBucketACL", region, bucket, cos.get_bucket_acl),
        "can_list": access.list_root(region=region, bucket=bucket) is not None,
        "delete_url": (
            reverse("demo:bucket-delete", kwargs={"region": region, "bucket": bucket})
            if access.can("DeleteBucket", region=region, bucket=bucket).allowed
            else None
        ),
    }
    return render(request, "demo/bucket_details.html", context)


@demo_view
@require_http_methods(["GET", "POST"])
def bucket_delete(request: HttpRequest, region: str, bucket: str) -> HttpResponse:
    """GET asks for confirmation; POST (with CSRF) sends DeleteBucket. A bucket that is not empty stays, and the
    page shows COS's answer."""
    access, ref = bucket_for_user(request, region, bucket)
    denied = Denied("DeleteBucket", resource_of(access, "DeleteBucket", region=region, bucket=bucket))
    if not access.can("DeleteBucket", region=region, bucket=bucket).allowed:
        return denied_page(request, denied)
    refused: cos.CosError | None = None
    if request.method == "POST":
        try:
            access.check_network("DeleteBucket", region=region, bucket=bucket)
            cos.delete_bucket(access.keys, region=region, bucket=bucket)
        except cos.CosError as exc:
            if exc.code == "AccessDenied" or exc.status in (0, 404):
                return cos_error_page(request, exc, denied)
            refused = exc
        else:
            messages.success(
                request,
                _("Bucket %(bucket)s deleted from %(region)s.")
                % {"bucket": bucket, "region": local_region_name(region)},
            )
            return HttpResponseRedirect(reverse("demo:buckets", kwargs={"region": region}))
    context = {
        "ref": ref,
        "region": region,
        "bucket": bucket,
        "refused": refused,
        "back": reverse("demo:bucket-details", kwargs={"region": region, "bucket": bucket}),
        "objects_url": reverse("demo:objects", kwargs={"region": region, "bucket": bucket}),
    }
    return render(request, "demo/bucket_delete.html", context, status=refused.status if refused else 200)
