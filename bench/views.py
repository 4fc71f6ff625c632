"""Reference views for bench/sign.py, mounted only by bench/urls.py.

- BareApi: the ceiling of the stack. The same middleware, the same authentication as /sign (knox token first), a
  constant JSON body shaped like /sign's answer, and nothing else: no policy, no cache, no audit, no throttle.
- SeedSignApi: what the reference service (cossign) does: no authentication, one STS GetFederationToken per request
  with the account's root keys and a whole-account policy, through the portal's own STS wrapper.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from knox.auth import TokenAuthentication
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from signer import sts

CONSTANT = {
    "code": 0,
    "message": "",
    "codeDesc": "Success",
    "data": {
        "credentials": {
            "sessionToken": "t" * 64,
            "tmpSecretId": "AKID" + "x" * 32,
            "tmpSecretKey": "k" * 32,
        },
        "expiredTime": 1_900_000_000,
    },
}
SEED_POLICY: dict[str, Any] = {
    "version": "2.0",
    "statement": [{"effect": "allow", "action": ["name/cos:*"], "resource": ["*"]}],
}


class BareApi(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response(CONSTANT)


class SeedSignApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        credentials = sts.get_federation_token(
            secret_id=settings.LOCALCLOUD_SECRET_ID,
            secret_key=settings.LOCALCLOUD_SECRET_KEY,
            region="ap-guangzhou",
            name="cossign",
            policy=SEED_POLICY,
            duration=1800,
        )
        return Response(
            {
                "code": 0,
                "message": "",
                "codeDesc": "Success",
                "data": {
                    "credentials": {
                        "sessionToken": credentials.session_token,
                        "tmpSecretId": credentials.tmp_secret_id,
                        "tmpSecretKey": credentials.tmp_secret_key,
                    },
                    "expiredTime": credentials.expired_time,
                },
            }
        )
