"""One object in the page: its metadata (HeadObject), a preview of what it holds, and share links.

Everything is fetched or presigned here with the signed-in user's temporary credentials. What a browser runs (HTML,
SVG, XML, JavaScript) is never shown from the storage origin: such files are previewed as text, read here with one
ranged GET and escaped by the template. Images are previewed through COS's image processing (a thumbnail, never the
original); PDF, audio and video play from a link presigned at the moment the browser asks for it (`preview_file`),
so the page itself never carries a session token.
"""

from __future__ import annotations

import mimetypes
import posixpath
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from demo import cos
from demo.access import UserAccess, bucket_for_user
from demo.errors import Denied, cos_error_page, demo_view, denied_page
from demo.share import ShareLink, ShareRefused, share_choices, share_link
from demo.views import breadcrumbs, objects_url, resource_of

TEXT_PREVIEW_BYTES = 64 * 1024
# COS's image processing: fit within 960 x 720, never enlarged (">"); the original never reaches the page.
THUMBNAIL = "imageMogr2/thumbnail/960x720>"
MEDIA_EXPIRES = 900  # seconds a preview's media link stays valid (a long video seeks with new range requests)
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})
TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript", "application/x-yaml"})


def kind_of(content_type: str, key: str) -> str:
    """ "image", "pdf", "audio", "video", "text", or "" (no preview), from the stored type (or the name's)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if not media or media == "application/octet-stream":
        media = (mimetypes.guess_type(key)[0] or "").lower()
    if media in IMAGE_TYPES:
        return "image"
    if media == "application/pdf":
        return "pdf"
    if media.startswith(("audio/", "video/")):
        return media.split("/", 1)[0]
    if media.startswith("text/") or media in TEXT_TYPES or media.endswith(("+xml", "+json")):
        return "text"
    return ""


@dataclass(frozen=True)
class TextPreview:
    text: str
    shown: int  # bytes read
    truncated: bool


def _key_of(request: HttpRequest) -> str:
    key = (request.POST if request.method == "POST" else request.GET).get("key", "")
    if not key or key.endswith("/"):
        raise Http404("No such object")
    return key


def _denied(access: UserAccess, operation: str, region: str, bucket: str, key: str) -> Denied:
    return Denied(operation, resource_of(access, operation, region=region, bucket=bucket, key=key))


def file_url(region: str, bucket: str, key: str, variant: str) -> str:
    url = reverse("demo:preview-file", kwargs={"region": region, "bucket": bucket})
    return f"{url}?{urlencode({'key': key, 'as': variant})}"


def read_text(access: UserAccess, *, region: str, bucket: str, head: cos.ObjectHead) -> TextPreview:
    length = min(head.size, TEXT_PREVIEW_BYTES)
    data = (
        cos.get_object_start(access.keys, region=region, bucket=bucket, key=head.key, length=length) if length else b""
    )
    return TextPreview(data.decode("utf-8", errors="replace"), len(data), head.size > len(data))


@demo_view
@require_http_methods(["GET", "POST"])
def preview(request: HttpRequest, region: str, bucket: str) -> HttpResponse:
    """GET: the object's page. POST (with CSRF): make a share link for one of the offered lifetimes."""
    access, ref = bucket_for_user(request, region, bucket)
    key = _key_of(request)
    if not access.can("HeadObject", region=region, bucket=bucket, key=key).allowed:
        return denied_page(
            request,
            _denied(access, "HeadObject", region, bucket, key),
            _("Your policy does not let you read this file's details."),
        )
    try:
        access.check_network("HeadObject", region=region, bucket=bucket, key=key)
        head = cos.head_object(access.keys, region=region, bucket=bucket, key=key)
    except cos.CosError as exc:
        return cos_error_page(request, exc, _denied(access, "HeadObject", region, bucket, key))

    readable = access.can("GetObject", region=region, bucket=bucket, key=key).allowed
    kind = kind_of(head.content_type, key) if readable else ""
    text: TextPreview | None = None
    text_error: cos.CosError | None = None
    if kind == "text":
        try:
            access.check_network("GetObject", region=region, bucket=bucket, key=key)
            text = read_text(access, region=region, bucket=bucket, head=head)
        except cos.CosError as exc:
            text_error = exc

    link: ShareLink | None = None
    share_error = ""
    status = 200
    if request.method == "POST":
        if not readable:
            return denied_page(request, _denied(access, "GetObject", region, bucket, key))
        try:
            seconds = int(request.POST.get("expires", ""))
        except ValueError:
            seconds = -1
        try:
            access.check_network("GetObject", region=region, bucket=bucket, key=key)
            link = share_link(access, region=region, bucket=bucket, key=key, seconds=seconds)
        except ShareRefused as exc:
            share_error, status = str(exc), 400
        except cos.CosError as exc:
            return cos_error_page(request, exc, _denied(access, "GetObject", region, bucket, key))
        else:
            messages.success(request, _("Share link created."))

    choices = share_choices(access) if readable else []
    folder = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    root = access.list_root(region=region, bucket=bucket) or ""
    download = reverse("demo:download", kwargs={"region": region, "bucket": bucket})
    delete = reverse("demo:delete", kwargs={"region": region, "bucket": bucket})
    context = {
        "ref": ref,
        "region": region,
        "bucket": bucket,
        "key": key,
        "name": posixpath.basename(key),
        "folder": folder,
        "crumbs": breadcrumbs(bucket, folder, root if folder.startswith(root) else ""),
        "back": objects_url(region, bucket, prefix=folder),
        "head": head,
        "kind": kind,
        "readable": readable,
        "get_denied": None if readable else _denied(access, "GetObject", region, bucket, key),
        "media_url": file_url(region, bucket, key, "thumbnail" if kind == "image" else "inline") if kind else None,
        "text": text,
        "text_error": text_error,
        "download_url": f"{download}?{urlencode({'key': key})}" if readable else None,
        "delete_url": (
            f"{delete}?{urlencode({'key': key})}"
            if access.can("DeleteObject", region=region, bucket=bucket, key=key).allowed
            else None
        ),
        "choices": choices,
        "share_limited": next((c.reason for c in choices if not c.allowed), ""),
        "link": link,
        "share_error": share_error,
    }
    return render(request, "demo/preview.html", context, status=status)


@demo_view
@require_GET
def preview_file(request: HttpRequest, region: str, bucket: str) -> HttpResponse:
    """Redirect to the preview's bytes, presigned now: `as=thumbnail` (COS image processing) or `as=inline`."""
    access, _ref = bucket_for_user(request, region, bucket)
    key = _key_of(request)
    variant = request.GET.get("as", "")
    if variant not in {"thumbnail", "inline"}:
        raise Http404("No such preview")
    if not access.can("GetObject", region=region, bucket=bucket, key=key).allowed:
        return denied_page(request, _denied(access, "GetObject", region, bucket, key))
    params = {THUMBNAIL: ""} if variant == "thumbnail" else {}
    url = cos.presign_get(access.keys, region=region, bucket=bucket, key=key, expires=MEDIA_EXPIRES, params=params)
    return HttpResponseRedirect(url)
