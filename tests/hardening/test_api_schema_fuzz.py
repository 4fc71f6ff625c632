"""schemathesis against the portal's own OpenAPI document (/api/schema/): /sign, /sts and the auth endpoints.

Generated requests (valid and invalid per the schema) go over a real socket to live_server, authenticated with a knox
token; every answer must not be a server error and must match the documented status, content type and body schema.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.factories import make_token

SCHEMA_PATHS = r"^/(sign|sts|api/auth/(login|logout))$"


def _portal_schema() -> dict[str, Any]:
    """The document /api/schema/ serves (the same generator), as plain JSON."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return dict(json.loads(OpenApiJsonRenderer().render(document)))


def _token_schema() -> dict[str, Any]:
    """The same document, authenticated by token only: its `security` lists knox OR the session cookie, which
    schemathesis reads as both required. Session callers (with CSRF) are tested in test_portal_hostile.py."""
    document = _portal_schema()
    for operations in document["paths"].values():
        for operation in operations.values():
            if "security" in operation:
                operation["security"] = [s for s in operation["security"] if "cookieAuth" not in s]
    return document


schema = schemathesis.openapi.from_dict(_token_schema()).include(path_regex=SCHEMA_PATHS)


def test_it_serves_the_schema_that_is_fuzzed(client: Any) -> None:
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert served.status_code == 200
    paths = json.loads(served.content)["paths"]
    assert {"/sign", "/sts", "/api/auth/login", "/api/auth/logout"} <= set(paths)
    assert set(paths) >= set(_portal_schema()["paths"])


@pytest.fixture
def fuzz_portal(live_server: Any, alice: Any, settings: Any) -> dict[str, Any]:
    # Throttles stay on but far away, so every example reaches the code under test.
    settings.SIGNER_RATE = "100000/min"
    settings.SIGNER_LOGIN_RATE = "100000/min"
    return {"url": live_server.url, "alice": alice}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_it_answers_every_generated_request_as_documented(case: Any, fuzz_portal: dict[str, Any]) -> None:
    components = case.meta.components if case.meta else {}
    header = components.get(ParameterLocation.HEADER)
    phase = case.meta.phase.data if case.meta else None
    leaves_auth_out = getattr(phase, "parameter", None) == "Authorization"
    if not leaves_auth_out and (header is None or header.mode == GenerationMode.POSITIVE):
        # A fresh token for alice in place of the random value generated for the security scheme (logout examples
        # revoke theirs). Negative header cases keep their broken Authorization: they must be refused.
        case.headers = {**(case.headers or {}), "Authorization": f"Token {make_token(fuzz_portal['alice'])}"}
    response = case.call(base_url=fuzz_portal["url"], timeout=30)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    # A schema cannot say which scopes or policy names exist, so valid-looking input may rightly be refused (400):
    # positive_data_acceptance does not apply. Invalid input must still be refused (negative_data_rejection).
    excluded = [positive_data_acceptance]
    body = components.get(ParameterLocation.BODY)
    if body is not None and body.mode == GenerationMode.NEGATIVE and case.body is NOT_SET:
        excluded.append(negative_data_rejection)  # the body is optional: leaving it out is valid, whatever the label
    case.validate_response(
        response, excluded_checks=excluded, transport_kwargs={"base_url": fuzz_portal["url"], "timeout": 30}
    )


@pytest.mark.parametrize("path", ["/sign", "/sts"])
def test_it_documents_the_credential_answers_it_gives(path: str, live_server: Any, alice_token: str) -> None:
    """The 200 answers match their documented shape (each envelope has its own component)."""
    response = requests.get(f"{live_server.url}{path}", headers={"Authorization": f"Token {alice_token}"}, timeout=30)
    assert response.status_code == 200, response.text
    schema[path]["GET"].validate_response(response)
