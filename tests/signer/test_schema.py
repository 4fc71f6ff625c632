"""/api/schema/ documents the request and response bodies of /sign, /sts and the auth endpoints."""

from __future__ import annotations

from typing import Any

import yaml

from tests.signer.conftest import Api


def resolve(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in ref:
        name = ref["$ref"].rsplit("/", 1)[1]
        ref = schema["components"]["schemas"][name]
    return ref


def body(schema: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    response = schema["paths"][path][method]["responses"][status]
    return resolve(schema, response["content"]["application/json"]["schema"])


def test_it_documents_the_credential_endpoints(api: Api, transactional_db: None) -> None:
    response = api.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.text)

    sign = body(schema, "/sign", "get", "200")
    data = resolve(schema, sign["properties"]["data"])
    credentials = resolve(schema, data["properties"]["credentials"])
    assert set(credentials["properties"]) == {"sessionToken", "tmpSecretId", "tmpSecretKey"}
    assert set(sign["properties"]) == {"code", "message", "codeDesc", "data"}

    sts = body(schema, "/sts", "post", "200")
    assert set(sts["properties"]) == {"credentials", "expiredTime", "expiration", "startTime", "requestId"}
    request = resolve(schema, schema["paths"]["/sts"]["post"]["requestBody"]["content"]["application/json"]["schema"])
    scope = resolve(schema, request["properties"]["scopes"]["items"])
    assert set(scope["properties"]) == {"action", "bucket", "region", "prefix"}

    for path, method, status in (("/sign", "get", "401"), ("/sts", "post", "403"), ("/sign", "post", "502")):
        error = body(schema, path, method, status)
        assert set(error["properties"]) == {"code", "message", "codeDesc"}

    login = body(schema, "/api/auth/login", "post", "200")
    assert set(login["properties"]) == {"token", "expiry"}
    assert "204" in schema["paths"]["/api/auth/logout"]["post"]["responses"]
    assert "knoxApiToken" in schema["components"]["securitySchemes"]
