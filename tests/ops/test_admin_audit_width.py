"""The admin's audit lists (deliveries and refusals) fit a 1280 px wide window: no horizontal scrolling."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from signer.models import IssuedCredential, Refusal
from tests.factories import PASSWORD, make_user

# Playwright's sync API runs an event loop in this thread; the ORM calls here are plain synchronous test set-up.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _rows() -> None:
    now = timezone.now()
    for number in range(5):
        IssuedCredential.objects.create(
            username=f"someone.with-a-long-name-{number}",
            policy_name="read-write own prefix 1a2b3c",
            scope_digest="0" * 64,
            tmp_secret_id=f"AKIDTMP{number:029d}",
            expired_time=now + timedelta(minutes=30),
            client_ip="2001:db8::1234:5678",
            served_from_cache=bool(number % 2),
        )
        Refusal.objects.create(
            kind=Refusal.Kind.SCOPE_REFUSED,
            username=f"someone.with-a-long-name-{number}",
            client_ip="2001:db8::1234:5678",
            reason="scope 1 (name/cos:PutObject on demo-1250000000/users/bob/x.txt) is not allowed by policy "
            "'read-write own prefix'",
            path="/sts",
        )


@pytest.mark.parametrize("model", ["issuedcredential", "refusal"])
def test_it_fits_the_audit_list_in_1280_px(live_server: Any, page: Any, model: str) -> None:
    make_user("root", is_superuser=True)
    _rows()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/signer/{model}/")
    assert page.locator("#result_list tbody tr").count() == 5
    assert page.locator("#changelist-filter").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the {model} page is {width} px wide"
    # The admin scrolls a wide table inside its own box (.results, overflow-x: auto): that must not scroll either.
    table, box = page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results'); return [r.scrollWidth, r.clientWidth]; })()"
    )
    assert table <= box, f"the {model} table is {table} px in a {box} px box"
