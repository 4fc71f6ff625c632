"""Secrets never leak: not into the database, not into pages, not into any log line of a whole journey."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from signer import logging as redaction
from signer.models import CloudAccount
from tests.factories import DEMO_BUCKET, PASSWORD, REGION, make_policy, make_user
from tests.signer.admin_client import AdminClient
from tests.signer.conftest import Api

ROOT_KEY = "localclouddevelopmentsecretkey00"
WRONG_KEY = "journey-wrong-secret-key-0123456789"


class Everything(logging.Handler):
    """Every record the root logger sees, formatted with its traceback, as a log file would hold it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def everything() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def test_it_logs_no_secret_during_a_whole_journey(
    api: Api, cloud: Any, bucket: str, everything: Everything, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    output = io.StringIO()
    call_command(
        "add_account", name="localcloud", secret_id="AKIDLOCALCLOUDDEVELOPMENTKEY0000", appid="1250000000",
        stdin=io.StringIO(ROOT_KEY + "\n"), stdout=output, stderr=output,
    )  # fmt: skip
    call_command(
        "add_account", name="wrong", secret_id="AKIDLOCALCLOUDDEVELOPMENTKEY0000", appid="1250000000",
        stdin=io.StringIO(WRONG_KEY + "\n"), stdout=output, stderr=output,
    )  # fmt: skip
    good, wrong = CloudAccount.objects.get(name="localcloud"), CloudAccount.objects.get(name="wrong")
    alice = make_user("alice", policy=make_policy(good, bucket=bucket))
    make_user("admin", is_superuser=True)
    make_policy(wrong, name="broken", users=[alice], bucket=bucket, priority=-1)

    seen: list[str] = [ROOT_KEY, WRONG_KEY, PASSWORD]
    login = api.post("/api/auth/login", json={"username": "alice", "password": PASSWORD}).json()
    seen.append(login["token"])
    for response in (
        api.get("/sign", token=login["token"]),
        api.post("/sts", token=login["token"], json={}),
        api.post(
            "/sts",
            token=login["token"],
            json={
                "scopes": [
                    {"action": "name/cos:PutObject", "bucket": DEMO_BUCKET, "region": REGION, "prefix": "users/alice/x"}
                ]
            },
        ),
    ):
        assert response.status_code == 200, response.text
        body = response.json()
        credentials = body["data"]["credentials"] if "data" in body else body["credentials"]
        seen.extend([credentials["tmpSecretKey"], credentials["sessionToken"]])
    assert api.get("/sign", token=login["token"], params={"policy": "broken"}).status_code == 502

    admin = AdminClient(api.base, "admin", PASSWORD)
    page = admin.get(f"/admin/signer/cloudaccount/{good.pk}/change/").text
    selected = [str(good.pk), str(wrong.pk)]
    action = {"action": "test_connection", "_selected_action": selected, "index": "0", "select_across": "0"}
    admin.submit("/admin/signer/cloudaccount/", action)
    assert api.post("/api/auth/logout", token=login["token"]).status_code == 204

    logged = "\n".join(everything.lines) + caplog.text + output.getvalue()
    assert "GetResponse" in logged  # the journey did log at DEBUG, the STS SDK's whole responses included
    for secret in seen:
        assert secret not in logged
        assert secret not in page


def test_it_redacts_secret_fields_headers_and_registered_values() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1,
        'GetResponse: {"TmpSecretKey": "abcdefghij123", "Token": "tok-123456789", "TmpSecretId": "AKIDvisible"} '
        "Authorization: Token 0123456789abcdef x-cos-security-token=sessiontoken123&x=1 %s",
        ("registered-secret-value",), None,
    )  # fmt: skip
    redaction.register_secret("registered-secret-value")
    assert redaction.RedactSecretsFilter().filter(record) is True
    message = record.getMessage()
    for secret in ("abcdefghij123", "tok-123456789", "0123456789abcdef", "sessiontoken123", "registered-secret-value"):
        assert secret not in message
    assert "AKIDvisible" in message  # ids are not secret
    assert "GetResponse" in message


def test_it_leaves_harmless_lines_alone() -> None:
    text = "GetFederationToken: AuthFailure.SignatureFailure (request 42); tokens issued: 3"
    assert redaction.redact(text) == text


def configured_handler() -> logging.Handler:
    """The portal's console handler, as settings.LOGGING configures it (with the redaction filter)."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, redaction.RedactSecretsFilter) for f in handler.filters):
            return handler
    raise AssertionError("no root handler carries the redaction filter: check settings.LOGGING")


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the configured console handler writes, tracebacks included."""
    handler = configured_handler()
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        yield written
    finally:
        handler.setStream(previous)


def test_it_redacts_secrets_in_exception_tracebacks(console: io.StringIO) -> None:
    token = "session-token-0123456789abcdef"
    redaction.register_secret(token)
    logger = logging.getLogger("signer.tests")
    try:
        try:
            raise ValueError('STS answered {"TmpSecretKey": "tmp-secret-key-9876543210", "TmpSecretId": "AKIDok"}')
        except ValueError as exc:
            raise RuntimeError(f"could not use the credentials with token {token}") from exc
    except RuntimeError:
        logger.exception("delivery failed for %s", "alice")
    written = console.getvalue()
    assert "delivery failed for alice" in written
    assert "Traceback (most recent call last)" in written
    assert "RuntimeError: could not use the credentials with token [redacted]" in written
    assert "ValueError: STS answered" in written  # the cause's traceback too
    assert "tmp-secret-key-9876543210" not in written
    assert token not in written
    assert "AKIDok" in written  # ids are not secret


def test_it_redacts_the_secret_key_cam_answers_with() -> None:
    # CAM's CreateAccessKey answers {"AccessKey": {"AccessKeyId": …, "SecretAccessKey": …}} (bootstrap_demo logs
    # the SDK's responses at DEBUG like STS's).
    text = 'CreateAccessKey: {"AccessKey": {"AccessKeyId": "AKIDvisible", "SecretAccessKey": "sub-user-secret-42"}}'
    redacted = redaction.redact(text)
    assert "sub-user-secret-42" not in redacted
    assert "AKIDvisible" in redacted
