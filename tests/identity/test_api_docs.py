"""OpenAPI documents the Bearer ID token scheme on /sign and /sts."""

from __future__ import annotations

import yaml

from tests.signer.conftest import Api


def test_it_documents_the_bearer_id_token_scheme(api: Api, transactional_db: None) -> None:
    schema = yaml.safe_load(api.get("/api/schema/").text)
    scheme = schema["components"]["securitySchemes"]["idToken"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    for path in ("/sign", "/sts"):
        for method in ("get", "post"):
            assert {"idToken": []} in schema["paths"][path][method]["security"]
    assert "idToken" not in str(schema["paths"]["/api/auth/logout"]["post"]["security"])
