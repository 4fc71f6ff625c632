"""ID tokens a test builds itself with PyJWT: with the test issuer's own keys, or with keys the issuer never
published, so each refusal is caused by exactly one thing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.identity.oidc import OidcProvider


def claims(oidc: OidcProvider, **changes: Any) -> dict[str, Any]:
    """A valid payload for alice at the mobile-rs client; a change of None removes the claim."""
    now = int(time.time())
    payload = {"iss": oidc.issuer, "sub": "alice", "aud": "mobile-rs", "iat": now, "exp": now + 600}
    payload.update(changes)
    return {name: value for name, value in payload.items() if value is not None}


def sign(oidc: OidcProvider, payload: dict[str, Any], *, kid: str = "rsa-1", key: Any = None) -> str:
    """Signed with the issuer's key `kid` (RS256 for rsa-1, ES256 for ec-1), or with `key` under that kid."""
    own = oidc.signing_keys()[kid] if key is None else None
    algorithm = own.algorithm_name if own is not None else "RS256"
    return jwt.encode(payload, own.key if own is not None else key, algorithm=algorithm, headers={"kid": kid})


def stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(payload: dict[str, Any]) -> str:
    return jwt.encode(payload, "", algorithm="none")


def hmac_with_public_key(oidc: OidcProvider, payload: dict[str, Any]) -> str:
    """The classic confusion attack: HS256 keyed with the issuer's published RSA public key (PEM), built by hand
    since PyJWT refuses to make one."""
    public = oidc.signing_keys()["rsa-1"].key.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
