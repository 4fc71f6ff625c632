"""Objects of a bucket (/buckets/<region>/<bucket>/): folders, breadcrumbs, marker paging, presigned downloads."""

from __future__ import annotations

import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.test import Client, RequestFactory

from demo import cos
from demo.views import Listing
from signer import services
from signer.models import CloudAccount
from tests.factories import APPID, REGION, make_policy, make_user
from tests.net import loopback_get


@pytest.fixture
def folder(root: cos.Keys, bucket: str) -> str:
    """A fresh folder of alice's with two files, an image and a sub-folder."""
    name = f"users/alice/t-{secrets.token_hex(3)}/"
    cos.put_object(root, region=REGION, bucket=bucket, key=f"{name}report.txt", body=b"hello " * 300)
    cos.put_object(
        root, region=REGION, bucket=bucket, key=f"{name}photo.png", body=b"\x89PNG fake", content_type="image/png"
    )
    cos.put_object(root, region=REGION, bucket=bucket, key=f"{name}sub/deep.txt", body=b"deep")
    return name


def page_of(client: Client, bucket: str, **query: str) -> str:
    response = client.get(f"/buckets/{REGION}/{bucket}/", query)
    assert response.status_code == 200, response.content.decode()[:500]
    return response.content.decode()


def links(body: str, css_class: str) -> list[str]:
    return [unescape(u) for u in re.findall(rf'<a href="([^"]+)" class="{css_class}"', body)]


def test_it_starts_in_the_folder_the_policy_allows(alice_client: Client, bucket: str, folder: str) -> None:
    body = page_of(alice_client, bucket)
    assert 'data-folder="' + folder.split("/")[2] + '"' in body
    assert 'data-testid="upload-prefix">users/alice/<' in body


def test_it_lists_folders_files_sizes_and_breadcrumbs(alice_client: Client, bucket: str, folder: str) -> None:
    body = page_of(alice_client, bucket, prefix=folder)
    assert f'data-key="{folder}report.txt"' in body
    assert f'data-key="{folder}photo.png"' in body
    assert 'data-folder="sub"' in body
    assert f'data-key="{folder}sub/deep.txt"' not in body  # inside the sub-folder, through the delimiter
    assert "1.8 KiB" in body  # 1,800 bytes, human-readable
    crumbs = re.search(r'data-testid="breadcrumbs">(.*?)</nav>', body, re.S)
    assert crumbs
    assert ">users<" not in crumbs.group(1)  # the crumbs start at her own folder, named after the bucket
    assert f'?prefix=users/alice/">{bucket}<' in crumbs.group(1)
    assert f'aria-current="page">{folder.split("/")[2]}<' in crumbs.group(1)


def test_it_links_downloads_presigned_at_click_time_with_the_token(
    alice_client: Client, alice: Any, bucket: str, folder: str
) -> None:
    body = page_of(alice_client, bucket, prefix=folder)
    downloads = links(body, "download")
    assert len(downloads) == 2
    report = next(u for u in downloads if "report.txt" in u)
    assert report.startswith(f"/buckets/{REGION}/{bucket}/download/?key=")

    response = alice_client.get(report)
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    target = response["Location"]
    query = parse_qs(urlsplit(target).query)
    assert query["x-cos-security-token"]
    assert query["q-ak"]
    start, end = (int(t) for t in query["q-sign-time"][0].split(";"))
    assert end - start <= 600  # minutes, not hours
    fetched = loopback_get(target)
    assert fetched.status_code == 200
    assert fetched.content == b"hello " * 300
    assert fetched.headers["Content-Disposition"].startswith('attachment; filename="report.txt"')

    thumbnail = re.search(r'<img src="([^"]+)" alt="" class="thumb"', body)
    assert thumbnail
    inline = alice_client.get(unescape(thumbnail.group(1)))
    assert inline.status_code == 302
    assert "photo.png" in inline["Location"]
    assert "content-disposition" not in inline["Location"]


def test_it_never_puts_a_secret_in_the_page(alice_client: Client, alice: Any, bucket: str, folder: str) -> None:
    credentials = services.credentials_issue(user=alice)
    body = page_of(alice_client, bucket, prefix=folder)
    assert credentials.session_token not in body
    assert credentials.tmp_secret_key not in body
    assert quote(credentials.session_token, safe="") not in body


def test_it_refuses_bob_a_download_of_alices_file(bob_client: Client, bucket: str, folder: str) -> None:
    response = bob_client.get(f"/buckets/{REGION}/{bucket}/download/", {"key": f"{folder}report.txt"})
    assert response.status_code == 403
    assert "name/cos:GetObject" in response.content.decode()


def test_it_pages_by_marker_without_listing_the_whole_bucket(
    alice_client: Client, bucket: str, root: cos.Keys, stats: Any
) -> None:
    folder = f"users/alice/many-{secrets.token_hex(3)}/"
    keys = [f"{folder}{i:04d}.txt" for i in range(120)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: cos.put_object(root, region=REGION, bucket=bucket, key=k, body=b"x"), keys))

    listed_before = int(stats().get("cos:GetBucket", 0))
    first = page_of(alice_client, bucket, prefix=folder)
    assert int(stats().get("cos:GetBucket", 0)) - listed_before == 1  # one page, one GetBucket
    assert first.count('data-key="') == 50
    next_url = re.search(r'<a href="([^"]+)" role="button" class="secondary" data-testid="next-page"', first)
    assert next_url
    second = alice_client.get(unescape(next_url.group(1))).content.decode()
    assert f'data-key="{keys[50]}"' in second
    assert f'data-key="{keys[0]}"' not in second
    assert "First page" in second
    third_url = re.search(r'<a href="([^"]+)" role="button" class="secondary" data-testid="next-page"', second)
    assert third_url
    third = alice_client.get(unescape(third_url.group(1))).content.decode()
    assert third.count('data-key="') == 20
    assert 'data-testid="next-page"' not in third


def test_it_shows_an_empty_state(alice_client: Client, bucket: str) -> None:
    body = page_of(alice_client, bucket, prefix=f"users/alice/empty-{secrets.token_hex(3)}/")
    assert "Nothing here yet" in body


def test_it_offers_delete_only_where_the_policy_allows(
    account: CloudAccount, bucket: str, folder: str, alice_client: Client
) -> None:
    assert len(re.findall(r'class="delete"', page_of(alice_client, bucket, prefix=folder))) == 2
    reader = make_user("frank", policy=make_policy(account, name="reader", preset="read whole bucket", bucket=bucket))
    client = Client()
    client.force_login(reader)
    body = page_of(client, bucket, prefix=folder)
    assert f'data-key="{folder}report.txt"' in body
    assert 'class="delete"' not in body
    assert "does not allow uploads" in body


def test_it_carries_the_upload_configuration_for_the_page_script(alice_client: Client, bucket: str, cloud: Any) -> None:
    body = page_of(alice_client, bucket)
    config = re.search(r'<script id="upload-config" type="application/json">(.*?)</script>', body)
    assert config
    # Each bucket's own virtual host: never the portal's origin, and a signature for one bucket binds it.
    assert f'"domain": "http://{{Bucket}}.cos.{{Region}}.localhost:{cloud.port}"' in config.group(1)
    assert '"stsUrl": "/sts"' in config.group(1)
    assert '"prefix": "users/alice/"' in config.group(1)
    assert "<script>" not in body  # CSP: no inline code
    assert "style=" not in body


def test_it_shows_upload_limits_and_passes_them_to_the_script(account: CloudAccount, bucket: str) -> None:
    policy = make_policy(
        account, name="images", bucket=bucket, max_object_size=5 * 1024 * 1024, allowed_content_types="image/*"
    )
    client = Client()
    client.force_login(make_user("grace", policy=policy))
    body = page_of(client, bucket)
    assert "At most <strong>5 MiB</strong> per file" in body
    assert "Only <strong>image/*</strong>" in body
    assert '"maxSize": 5242880' in body
    assert '"contentTypes": ["image/*"]' in body


# --- isolation: bob sees none of alice's files ------------------------------------------------------------------


def test_it_does_not_show_alice_files_to_bob(bob_client: Client, bucket: str, folder: str) -> None:
    body = page_of(bob_client, bucket)
    assert "users/alice/" not in body
    assert 'data-testid="upload-prefix">users/bob/<' in body


def test_it_refuses_bob_a_listing_of_alices_folder(bob_client: Client, bucket: str, folder: str) -> None:
    response = bob_client.get(f"/buckets/{REGION}/{bucket}/", {"prefix": folder})
    assert response.status_code == 403
    body = response.content.decode()
    assert "name/cos:GetBucket" in body
    assert "report.txt" not in body


def test_it_answers_404_for_a_bucket_the_policy_does_not_name(alice_client: Client, root: cos.Keys) -> None:
    other = f"objects-private-{APPID}"
    cos.create_bucket(root, region=REGION, bucket=other, cors_origins=[])
    cos.put_object(root, region=REGION, bucket=other, key="secret.txt", body=b"secret")
    response = alice_client.get(f"/buckets/{REGION}/{other}/")
    assert response.status_code == 404
    assert "secret.txt" not in response.content.decode()


@pytest.mark.parametrize("path", ["/buckets/mars-north-1/demo-1250000000/", "/buckets/ap-guangzhou/not_a_bucket/"])
def test_it_answers_404_for_nonsense(alice_client: Client, path: str) -> None:
    assert alice_client.get(path).status_code == 404


def test_it_handles_keys_with_spaces_and_unicode(alice_client: Client, bucket: str, root: cos.Keys) -> None:
    folder = f"users/alice/名字 {secrets.token_hex(2)}/"
    key = f"{folder}résumé #1+2 100%.txt"
    cos.put_object(root, region=REGION, bucket=bucket, key=key, body=b"unicode body")
    body = page_of(alice_client, bucket, prefix=folder)
    assert "résumé #1+2 100%.txt" in unescape(body)
    (link,) = links(body, "download")
    target = alice_client.get(link)["Location"]
    fetched = loopback_get(target)
    assert fetched.content == b"unicode body"
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%231%2B2%20100%25.txt" in fetched.headers["Content-Disposition"]
    assert alice_client.post(f"/buckets/{REGION}/{bucket}/delete/", {"key": key}).status_code == 302
    assert key not in [o.key for o in cos.list_objects(root, region=REGION, bucket=bucket, prefix=folder).objects]


def test_it_links_each_file_to_its_preview_page_where_the_policy_lets_it_read_details(
    account: CloudAccount, alice_client: Client, bucket: str, folder: str
) -> None:
    previews = links(page_of(alice_client, bucket, prefix=folder), "preview")
    assert sorted(previews) == sorted(
        f"/buckets/{REGION}/{bucket}/preview/?key={quote(folder + name, safe='')}"
        for name in ("report.txt", "photo.png")
    )
    page = alice_client.get(previews[0])
    assert page.status_code == 200
    assert folder in page.content.decode()

    lister = make_policy(
        account,
        name="lister",
        statements=[
            {
                "effect": "allow",
                "action": ["name/cos:GetBucket"],
                "resource": [f"qcs::cos:{REGION}:uid/{APPID}:{bucket}/*"],
            }
        ],
    )
    client = Client()
    client.force_login(make_user("lena", policy=lister))
    body = page_of(client, bucket, prefix=folder)
    assert f'data-key="{folder}report.txt"' in body
    assert 'class="preview"' not in body


def test_it_carries_the_marker_trail_for_previous_and_caps_it() -> None:
    def query(url: str | None) -> dict[str, list[str]]:
        assert url is not None
        return parse_qs(urlsplit(url).query, keep_blank_values=True)

    query_string = {"prefix": "users/alice/", "q": "ph", "sort": "-size", "marker": "m2", "trail": ["", "m1"]}
    request = RequestFactory().get("/", query_string)
    listing = Listing.from_query(request, "")
    assert listing.number == 3  # a link without a number counts its trail
    assert query(listing.next_url(REGION, "b-1", "m3")) == {
        "prefix": ["users/alice/"],
        "q": ["ph"],
        "sort": ["-size"],
        "marker": ["m3"],
        "page": ["4"],
        "trail": ["", "m1", "m2"],
    }
    assert query(listing.previous_url(REGION, "b-1"))["marker"] == ["m1"]
    assert query(listing.previous_url(REGION, "b-1"))["trail"] == [""]
    assert query(listing.previous_url(REGION, "b-1"))["page"] == ["2"]
    assert query(listing.sort_url(REGION, "b-1", "size"))["sort"] == ["size"]  # the other way round
    assert query(listing.sort_url(REGION, "b-1", "size"))["page"] == ["3"]
    second = Listing.from_query(RequestFactory().get("/", {"marker": "m1", "trail": [""], "page": "2"}), "")
    assert "page" not in query(second.previous_url(REGION, "b-1"))  # the first page has no number in its link

    # The trail keeps the last 20 markers; the page number goes on counting.
    long = RequestFactory().get("/", {"marker": "m99", "trail": [f"m{i}" for i in range(99)], "page": "100"})
    capped = Listing.from_query(long, "")
    assert len(capped.trail) == 20
    assert capped.number == 100
    onward = query(capped.next_url(REGION, "b-1", "m100"))
    assert len(onward["trail"]) == 20
    assert onward["page"] == ["101"]
    first = RequestFactory().get("/", {"marker": "m1"})  # no trail (cut, or a hand-made link): back to the start
    assert Listing.from_query(first, "").previous_url(REGION, "b-1") == f"/buckets/{REGION}/b-1/"
    # A number the trail contradicts, or junk, gives way to what the trail implies; the first page is page 1.
    for page in ("1", "-5", "x", "9" * 30):
        odd = RequestFactory().get("/", {"marker": "m2", "trail": ["", "m1"], "page": page})
        assert Listing.from_query(odd, "").number == 3
    assert Listing.from_query(RequestFactory().get("/", {"page": "7"}), "").number == 1
