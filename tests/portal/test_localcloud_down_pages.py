"""When localcloud does not answer, local mode's pages say where it should be and how to start it again; tencent
mode's pages keep saying what STS or COS answered."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from tests.factories import DEMO_BUCKET, REGION
from tests.net import free_port


def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def signed_in(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def test_it_says_localcloud_is_not_answering_when_sts_cannot_be_reached(alice: Any, settings: Any) -> None:
    settings.LOCALCLOUD_URL = url = closed_url()
    response = signed_in(alice).get("/")
    assert response.status_code == 503
    body = response.content.decode()
    assert f"localcloud at <code>{url}</code> is not answering — restart it with <code>" in body
    assert "manage.py localcloud</code>." in body
    assert "STS did not answer" not in body
    assert 'data-testid="error-code">StsUnavailable<' in body


def test_it_says_localcloud_is_not_answering_when_cos_cannot_be_reached(alice: Any, settings: Any) -> None:
    client = signed_in(alice)
    assert client.get("/").status_code == 200  # alice's credentials are cached now: the next pages ask COS only
    settings.LOCALCLOUD_URL = url = closed_url()
    for path in ("/", f"/regions/{REGION}/", f"/buckets/{REGION}/{DEMO_BUCKET}/"):
        response = client.get(path)
        assert response.status_code == 503, path
        body = response.content.decode()
        assert f"localcloud at <code>{url}</code> is not answering" in body, path
        assert "COS answered" not in body, path
        assert "COS could not be reached" not in body, path


def test_it_translates_the_hint(alice: Any, settings: Any) -> None:
    settings.LOCALCLOUD_URL = url = closed_url()
    client = signed_in(alice)
    for language, words in (("zh-hans", "没有响应"), ("ja", "応答していません")):
        body = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f"<code>{url}</code>" in body, language
        assert words in body, language
        assert "is not answering" not in body, language


def test_it_keeps_what_sts_and_cos_answered_in_tencent_mode(rf: Any, settings: Any) -> None:
    settings.CLOUD_BACKEND = "tencent"
    settings.LOCAL_MODE = False
    request = rf.get("/")
    request.user = AnonymousUser()
    error = {"code": "CosUnavailable", "message": "COS could not be reached. Try again in a moment."}
    with translation.override("en"):
        page = render_to_string("demo/unavailable.html", {"error": error, "code": "CosUnavailable"}, request=request)
        partial = render_to_string("demo/partials/cos_error.html", {"error": error}, request=request)
        unreached = {"message": "STS did not answer GetFederationToken (ClientNetworkError)"}
        sts = render_to_string("demo/unavailable.html", {"error": unreached, "code": "StsUnavailable"}, request=request)
    assert "COS could not be reached" in page
    assert "COS answered CosUnavailable." in partial
    assert "STS did not answer GetFederationToken" in sts
    assert all("localcloud" not in html for html in (page, partial, sts))
