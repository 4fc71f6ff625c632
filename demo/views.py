"""The demo's pages: regions, buckets, objects with the upload panel, downloads and deletes ("My access": my_access.py).

Every COS call goes through demo.cos with the signed-in user's temporary credentials (demo.access.access_for);
the bytes of uploads never pass through here: the browser sends them to COS with credentials from /sts.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from demo import cos
from demo.access import UserAccess, access_for, bucket_for_user
from demo.errors import Denied, cos_error_page, demo_view, denied_page, error_status
from demo.forms import CreateBucketForm
from demo.regions_i18n import local_region_name
from qcloud.buckets import full_bucket_name
from qcloud.operations import resources_for
from qcloud.regions import REGIONS, is_region

PAGE_SIZE = 50
DOWNLOAD_EXPIRES = 300  # seconds a presigned download link stays valid
# What COS's image processing (imageMogr2) can shrink: the list shows these as thumbnails, never the original.
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"})
# Twice the 48 px cell, so thumbnails stay sharp on 2x screens; ">" shrinks only (a small image is sent as it is).
THUMBNAIL_RULE = "imageMogr2/thumbnail/96x96>"
MARKER_TRAIL = 20  # earlier pages' markers carried in the query string for "Previous page"
SORTS = ("name", "-name", "size", "-size", "date", "-date")
ERROR_HINTS = {
    "InvalidBucketName": gettext_lazy(
        "COS refused the name. Bucket names use lowercase letters, digits and '-', 1-50 characters."
    ),
    "BucketAlreadyExists": gettext_lazy(
        "A bucket with this name already exists. Bucket names are unique within the account: pick another name."
    ),
    "BucketAlreadyOwnedByYou": gettext_lazy("This account already has a bucket with this name: pick another name."),
}


def portal_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def resource_of(access: UserAccess, operation: str, *, region: str, bucket: str | None, key: str = "") -> str:
    resources = resources_for(operation, region=region, appid=access.appid, bucket=bucket, key=key, prefix=key)
    return resources[-1]


@demo_view
def regions(request: HttpRequest) -> HttpResponse:
    access = access_for(request)
    counts: Counter[str] = Counter()
    error: cos.CosError | None = None
    try:
        access.check_network("GetService", region="")
        for bucket in cos.list_buckets(access.keys):
            if access.sees_bucket(region=bucket.region, bucket=bucket.name):
                counts[bucket.region] += 1
    except cos.CosError as exc:
        error = exc
    rows = [{"code": code, "name": name, "count": counts.get(code, 0)} for code, name in REGIONS.items()]
    context = {"rows": rows, "error": error, "total": sum(counts.values())}
    return render(request, "demo/regions.html", context, status=error_status(error))


@demo_view
@require_http_methods(["GET", "POST"])
def buckets(request: HttpRequest, region: str) -> HttpResponse:
    if not is_region(region):
        raise Http404("No such region")
    access = access_for(request)
    form = CreateBucketForm(request.POST or None)
    create_denied: Denied | None = None
    if request.method == "POST" and form.is_valid():
        full_name = full_bucket_name(form.cleaned_data["name"], access.appid)
        try:
            access.check_network("PutBucket", region=region, bucket=full_name)
            access.check_network("PutBucketCORS", region=region, bucket=full_name)
            cos.create_bucket(access.keys, region=region, bucket=full_name, cors_origins=[portal_origin(request)])
        except cos.CosError as exc:
            if exc.operation == "PutBucketCORS":
                # The bucket exists; only its CORS rule is missing, so browsers cannot upload to it yet.
                form.add_error(
                    None,
                    _(
                        "Bucket %(bucket)s was created, but its CORS rule could not be set (%(code)s): "
                        "browser uploads to it will fail until an administrator adds one."
                    )
                    % {"bucket": full_name, "code": exc.code},
                )
                if exc.code == "AccessDenied":
                    create_denied = Denied(
                        "PutBucketCORS", resource_of(access, "PutBucketCORS", region=region, bucket=full_name)
                    )
            elif exc.code == "AccessDenied":
                create_denied = Denied("PutBucket", resource_of(access, "PutBucket", region=region, bucket=full_name))
                form.add_error(
                    None,
                    _("Your access policy does not allow %(action)s on this bucket.")
                    % {"action": create_denied.action},
                )
            elif exc.code in ERROR_HINTS:
                form.add_error("name", ERROR_HINTS[exc.code])
            else:
                form.add_error(
                    None,
                    _("COS refused to create the bucket: %(code)s: %(message)s")
                    % {"code": exc.code, "message": exc.message},
                )
        else:
            messages.success(
                request,
                _("Bucket %(bucket)s created in %(region)s.")
                % {"bucket": full_name, "region": local_region_name(region)},
            )
            return redirect("demo:objects", region=region, bucket=full_name)

    listing_error: cos.CosError | None = None
    rows: list[cos.BucketInfo] = []
    try:
        access.check_network("GetService", region=region)
        rows = [
            b for b in cos.list_buckets(access.keys, region=region) if access.sees_bucket(region=region, bucket=b.name)
        ]
    except cos.CosError as exc:
        listing_error = exc
    context = {
        "region": region,
        "buckets": [
            {"info": b, "can_delete": access.can("DeleteBucket", region=region, bucket=b.name).allowed} for b in rows
        ],
        "listing_error": listing_error,
        "form": form,
        "appid": access.appid,
        "can_create": access.can("PutBucket", region=region, bucket=f"new-{access.appid}").allowed,
        "create_denied": create_denied,
    }
    status = 403 if create_denied is not None else 400 if form.errors else error_status(listing_error)
    return render(request, "demo/buckets.html", context, status=status)


@dataclass(frozen=True)
class Crumb:
    label: str
    prefix: str


def breadcrumbs(bucket: str, prefix: str, root: str) -> list[Crumb]:
    crumbs = [Crumb(bucket, root)]
    path = root
    for part in prefix[len(root) :].split("/"):
        if not part:
            continue
        path = f"{path}{part}/"
        crumbs.append(Crumb(part, path))
    return crumbs


def is_image(key: str) -> bool:
    return posixpath.splitext(key.lower())[1] in IMAGE_EXTENSIONS


def objects_url(region: str, bucket: str, *, trail: list[str] | None = None, **query: str) -> str:
    """The objects page with `query` (empty values left out) and a marker trail (each entry kept, "" included)."""
    url = reverse("demo:objects", kwargs={"region": region, "bucket": bucket})
    pairs = [(k, v) for k, v in query.items() if v] + [("trail", m) for m in trail or []]
    return f"{url}?{urlencode(pairs)}" if pairs else url


def cos_domain() -> str | None:
    """What cos-js-sdk-v5 uses as `Domain`: the bucket's virtual host `{Bucket}.cos.{Region}.localhost` at localcloud's
    public scheme and port in local mode (the SDK signs that host, binding bucket and region), the SDK default
    otherwise."""
    if settings.LOCAL_MODE:
        return cos.browser_domain()
    return None


def sort_rows(objects: list[cos.ObjectInfo], sort: str) -> list[cos.ObjectInfo]:
    """Sort one page of COS's answer (COS lists by key; a sort across pages would need the whole folder)."""
    field = sort.lstrip("-")
    keys = {
        "name": lambda o: o.name.casefold(),
        "size": lambda o: (o.size, o.name.casefold()),
        "date": lambda o: (o.last_modified.timestamp() if o.last_modified else 0.0, o.name.casefold()),
    }
    if field not in keys:
        return objects
    return sorted(objects, key=keys[field], reverse=sort.startswith("-"))


@dataclass(frozen=True)
class Listing:
    """Where the page is: the folder, the search within it, the sort, this page's marker and the earlier ones, and
    its number (carried in the query string too: the trail keeps only the last MARKER_TRAIL markers)."""

    prefix: str
    search: str
    sort: str
    marker: str
    trail: list[str]
    number: int = 1

    @classmethod
    def from_query(cls, request: HttpRequest, default_prefix: str) -> Listing:
        sort = request.GET.get("sort", "")
        search = request.GET.get("q", "").strip()
        marker = request.GET.get("marker", "")
        trail = request.GET.getlist("trail")[-MARKER_TRAIL:]
        return cls(
            prefix=request.GET.get("prefix") or default_prefix,
            search=search.lstrip("/"),
            sort=sort if sort in SORTS else "",
            marker=marker,
            trail=trail,
            number=_page_number(request.GET.get("page", ""), marker, trail),
        )

    @property
    def cos_prefix(self) -> str:
        """COS's Prefix: a search is a prefix of names within the folder, as the COS console's search is."""
        return self.prefix + self.search

    def url(
        self,
        region: str,
        bucket: str,
        *,
        marker: str = "",
        trail: list[str] | None = None,
        number: int = 1,
        **query: str,
    ) -> str:
        base = {"prefix": self.prefix, "q": self.search, "sort": self.sort}
        page = str(number) if marker and number > 1 else ""
        return objects_url(region, bucket, trail=trail, **{**base, "marker": marker, "page": page, **query})

    def previous_url(self, region: str, bucket: str) -> str | None:
        if not self.marker:
            return None
        if not self.trail:  # the trail was cut (MARKER_TRAIL): back to the first page
            return self.url(region, bucket)
        return self.url(region, bucket, marker=self.trail[-1], trail=self.trail[:-1], number=self.number - 1)

    def next_url(self, region: str, bucket: str, next_marker: str) -> str:
        trail = [*self.trail, self.marker][-MARKER_TRAIL:]
        return self.url(region, bucket, marker=next_marker, trail=trail, number=self.number + 1)

    def sort_url(self, region: str, bucket: str, field: str) -> str:
        """The first page sorted by `field`, the other way round when the page is already sorted by it."""
        sort = f"-{field}" if self.sort == field else field
        return self.url(region, bucket, sort=sort, marker=self.marker, trail=self.trail, number=self.number)


def _page_number(given: str, marker: str, trail: list[str]) -> int:
    """The page's number: 1 without a marker; else the one the link carries, never less than the trail implies (a
    hand-made or older link without one counts its trail)."""
    if not marker:
        return 1
    least = len(trail) + 1
    return max(least, int(given)) if given.isdigit() and len(given) <= 7 else least


def capabilities(access: UserAccess, *, region: str, bucket: str) -> dict[str, list[str]]:
    """Key prefixes under which the policy allows each file-manager action, for the page script to decide what it
    offers (COS judges every request anyway)."""
    operations = {"read": "GetObject", "write": "PutObject", "delete": "DeleteObject", "list": "GetBucket"}
    return {name: access.allowed_prefixes(op, region=region, bucket=bucket) for name, op in operations.items()}


def under(prefixes: list[str], key: str) -> bool:
    return any(key.startswith(p) for p in prefixes)


@demo_view
def objects(request: HttpRequest, region: str, bucket: str) -> HttpResponse:
    access, ref = bucket_for_user(request, region, bucket)
    root = access.list_root(region=region, bucket=bucket)
    upload_prefix = access.upload_prefix(region=region, bucket=bucket)
    listing = Listing.from_query(request, root or "")
    prefix = listing.prefix
    denied = Denied("GetBucket", resource_of(access, "GetBucket", region=region, bucket=bucket, key=prefix))
    if root is None and not request.GET.get("prefix"):
        return denied_page(request, denied, _("Your policy lets you see this bucket but not list what is in it."))
    try:
        access.check_network("GetBucket", region=region, bucket=bucket, prefix=listing.cos_prefix)
        page = cos.list_objects(
            access.keys,
            region=region,
            bucket=bucket,
            prefix=listing.cos_prefix,
            marker=listing.marker,
            max_keys=PAGE_SIZE,
        )
    except cos.CosError as exc:
        return cos_error_page(request, exc, denied)
    crumb_root = root if root is not None and prefix.startswith(root) else ""

    can = capabilities(access, region=region, bucket=bucket)
    download_base = reverse("demo:download", kwargs={"region": region, "bucket": bucket})
    delete_base = reverse("demo:delete", kwargs={"region": region, "bucket": bucket})
    preview_base = reverse("demo:preview", kwargs={"region": region, "bucket": bucket})
    rows = []
    for item in sort_rows(page.objects, listing.sort):
        readable = (
            under(can["read"], item.key) and access.can("GetObject", region=region, bucket=bucket, key=item.key).allowed
        )
        deletable = access.can("DeleteObject", region=region, bucket=bucket, key=item.key).allowed
        # Links go through the portal, which presigns at click time: pages never carry a session token, and a
        # link left open for an hour still works.
        link = f"{download_base}?{urlencode({'key': item.key})}" if readable else None
        rows.append(
            {
                "object": item,
                "download": link,
                "thumbnail": f"{link}&thumbnail=1" if link and is_image(item.key) else None,
                "preview": f"{preview_base}?{urlencode({'key': item.key})}"
                if access.can("HeadObject", region=region, bucket=bucket, key=item.key).allowed
                else None,
                "can_delete": deletable,
                # Rename and move are a copy (read the source, write the copy) and a delete of the source.
                "can_move": readable and deletable and bool(can["write"]),
                "delete_url": f"{delete_base}?{urlencode({'key': item.key})}",
            }
        )
    folders = []
    for folder in page.folders:
        probe = f"{folder}probe"
        listable = access.can("GetBucket", region=region, bucket=bucket, prefix=folder).allowed
        deletable = listable and access.can("DeleteObject", region=region, bucket=bucket, key=probe).allowed
        readable = listable and access.can("GetObject", region=region, bucket=bucket, key=probe).allowed
        movable = deletable and readable
        folders.append(
            {
                "name": folder[len(prefix) :].rstrip("/"),
                "prefix": folder,
                "url": objects_url(region, bucket, prefix=folder),
                "can_read": readable,
                "can_delete": deletable,
                "can_move": movable and bool(can["write"]),
            }
        )
    target = prefix if upload_prefix is not None and prefix.startswith(upload_prefix) else upload_prefix
    limits = access.upload_limits()
    upload_config = {
        "bucket": bucket,
        "region": region,
        "prefix": target,
        "folder": prefix,
        "stsUrl": reverse("signer:sts"),
        "policy": access.policy_name,
        "domain": cos_domain(),
        "protocol": "http:" if settings.LOCAL_MODE and settings.LOCALCLOUD_PUBLIC_URL.startswith("http:") else "https:",
        "listUrl": request.get_full_path(),
        "can": can,
        **limits.to_dict(),
    }
    context = {
        "ref": ref,
        "region": region,
        "bucket": bucket,
        "prefix": prefix,
        "root": root,
        "crumbs": breadcrumbs(bucket, prefix, crumb_root),
        "folders": folders,
        "rows": rows,
        "page": page,
        "listing": listing,
        "marker": listing.marker,
        "page_number": listing.number,
        "next_url": listing.next_url(region, bucket, page.next_marker) if page.is_truncated else None,
        "previous_url": listing.previous_url(region, bucket),
        "first_url": listing.url(region, bucket) if listing.marker else None,
        "sort_urls": {field: listing.sort_url(region, bucket, field) for field in ("name", "size", "date")},
        "can_make_folder": under(can["write"], prefix),
        "can_bulk_delete": any(row["can_delete"] for row in rows) or any(f["can_delete"] for f in folders),
        "can_bulk_download": any(row["download"] for row in rows) or any(f["can_read"] for f in folders),
        "upload_prefix": target,
        "upload_config": upload_config,
        "limits": limits,
        "download_minutes": DOWNLOAD_EXPIRES // 60,
    }
    return render(request, "demo/objects.html", context)


def content_disposition(filename: str) -> str:
    """attachment; filename="..." (ASCII fallback) plus filename*=UTF-8'' for any name."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@demo_view
@require_GET
def download(request: HttpRequest, region: str, bucket: str) -> HttpResponse:
    """Redirect to a link presigned now with the user's temporary credentials; the bytes come from COS directly."""
    access, _ref = bucket_for_user(request, region, bucket)
    key = request.GET.get("key", "")
    if not key or key.endswith("/"):
        raise Http404("No such object")
    if not access.can("GetObject", region=region, bucket=bucket, key=key).allowed:
        denied = Denied("GetObject", resource_of(access, "GetObject", region=region, bucket=bucket, key=key))
        return denied_page(request, denied)
    if request.GET.get("thumbnail"):
        params = {THUMBNAIL_RULE: ""}  # COS resizes; the original never reaches the list
    elif request.GET.get("inline"):
        params = {}
    else:
        params = {"response-content-disposition": content_disposition(posixpath.basename(key))}
    url = cos.presign_get(access.keys, region=region, bucket=bucket, key=key, expires=DOWNLOAD_EXPIRES, params=params)
    return HttpResponseRedirect(url)  # never cached: demo_view adds no-store


@demo_view
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, region: str, bucket: str) -> HttpResponse:
    """GET asks for confirmation; POST (with CSRF) deletes. The policy is checked first (so nothing is offered that
    COS would refuse), and COS judges the request itself."""
    access, ref = bucket_for_user(request, region, bucket)
    key = (request.POST if request.method == "POST" else request.GET).get("key", "")
    if not key or key.endswith("/"):
        raise Http404("No such object")
    folder = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    back = objects_url(region, bucket, prefix=folder)
    denied = Denied("DeleteObject", resource_of(access, "DeleteObject", region=region, bucket=bucket, key=key))
    if not access.can("DeleteObject", region=region, bucket=bucket, key=key).allowed:
        return denied_page(request, denied)
    if request.method == "POST":
        try:
            access.check_network("DeleteObject", region=region, bucket=bucket, key=key)
            cos.delete_object(access.keys, region=region, bucket=bucket, key=key)
        except cos.CosError as exc:
            return cos_error_page(request, exc, denied)
        messages.success(request, _("Deleted %(key)s.") % {"key": key})
        return HttpResponseRedirect(back)
    context = {"ref": ref, "region": region, "bucket": bucket, "key": key, "back": back}
    return render(request, "demo/delete.html", context)
