"""The tests' OpenID Connect provider: npm oidc-provider (tests/oidc/provider.mjs) in a Node process on loopback.

`id_token(sub)` signs `sub` in through the real authorization code flow with PKCE, the way a mobile app's OIDC
library does, and returns the ID token the provider issues. `signing_keys()` are the provider's private keys (the
script writes them out), for tokens a test must forge with the issuer's own keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import select
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import jwt
import requests

SCRIPT = Path(__file__).resolve().parent.parent / "oidc" / "provider.mjs"
STARTUP_TIMEOUT = 20


@dataclass
class OidcProvider:
    issuer: str
    redirect_uri: str
    jwks_path: Path
    accounts_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def add_account(self, sub: str, **claims: Any) -> None:
        accounts = json.loads(self.accounts_path.read_text())
        accounts[sub] = claims
        self.accounts_path.write_text(json.dumps(accounts))

    def signing_keys(self) -> dict[str, jwt.PyJWK]:
        """The issuer's private keys by kid: "rsa-1" (RS256) and "ec-1" (ES256)."""
        keys = json.loads(self.jwks_path.read_text())["keys"]
        return {key["kid"]: jwt.PyJWK(key) for key in keys}

    def id_token(self, sub: str, *, client_id: str = "mobile-rs", scope: str = "openid email groups") -> str:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "login_hint": sub,
        }
        session = requests.Session()
        url = f"{self.issuer}/auth?{urlencode(query)}"
        for _ in range(10):  # authorize -> interaction (signs in, grants) -> authorize again -> the redirect URI
            response = session.get(url, allow_redirects=False, timeout=10)
            assert response.status_code in (302, 303), response.text
            url = urljoin(url, response.headers["Location"])
            if url.startswith(self.redirect_uri):
                break
        answer = parse_qs(urlsplit(url).query)
        assert "code" in answer, answer
        token = session.post(
            f"{self.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": answer["code"][0],
                "redirect_uri": self.redirect_uri,
                "client_id": client_id,
                "code_verifier": verifier,
            },
            timeout=10,
        )
        assert token.status_code == 200, token.text
        id_token: str = token.json()["id_token"]
        return id_token

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start(directory: Path) -> OidcProvider:
    jwks_path, accounts_path = directory / "jwks.json", directory / "accounts.json"
    accounts_path.write_text("{}")
    log = (directory / "provider.log").open("wb")
    process = subprocess.Popen(
        ["node", str(SCRIPT), str(jwks_path), str(accounts_path)],
        stdout=subprocess.PIPE,
        stderr=log,
        cwd=SCRIPT.parent.parent.parent,  # node_modules is at the top of the checkout
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT)
    if not ready:
        process.kill()
        raise RuntimeError(f"oidc-provider did not start: see {directory / 'provider.log'}")
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"oidc-provider exited: {(directory / 'provider.log').read_text()}")
    started = json.loads(line)
    return OidcProvider(started["issuer"], started["redirect_uri"], jwks_path, accounts_path, process)
