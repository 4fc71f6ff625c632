"""The portal's own answers when the request itself is refused: no Django default pages with inline styles."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import PASSWORD, make_user


@pytest.mark.django_db
def test_it_explains_a_refused_form_without_inline_styles() -> None:
    alice = make_user("alice")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post("/accounts/logout/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "This form has expired" in body
    assert "<style" not in body  # the CSP (style-src 'self') would block Django's default page's styles
    assert "style=" not in body


@pytest.mark.django_db
def test_it_answers_the_admin_sign_in_with_the_admin_form(client: Client, settings: Any) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 200
    assert 'name="next" value="/admin/"' in response.content.decode()
    make_user("charlie", is_superuser=True)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "charlie", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
