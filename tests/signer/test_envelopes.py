"""/sign and /sts build their envelopes by hand (signer/api.py, for speed); their OutputSerializers are what the
OpenAPI document shows. The two must answer alike, key order included (the JSON on the wire)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signer.api import SignApi, StsApi
from signer.services import TemporaryCredentials

text = st.text(min_size=1, max_size=40)
seconds = st.integers(min_value=0, max_value=2**33)


@given(secret_id=text, secret_key=text, token=text, start=seconds, expired=seconds, expiration=text, request=text)
@pytest.mark.parametrize(
    ("view", "wrap"),
    [
        (SignApi, lambda c: {"code": 0, "message": "", "codeDesc": "Success", "data": c}),
        (StsApi, lambda c: c),
    ],
)
def test_the_envelope_built_by_hand_is_the_serializers(
    view: Any,
    wrap: Any,
    secret_id: str,
    secret_key: str,
    token: str,
    start: int,
    expired: int,
    expiration: str,
    request: str,
) -> None:
    credentials = TemporaryCredentials(
        tmp_secret_id=secret_id,
        tmp_secret_key=secret_key,
        session_token=token,
        start_time=start,
        expired_time=expired,
        expiration=expiration,
        request_id=request,
        region="ap-guangzhou",
        appid="1250000000",
        bucket_hint=None,
    )
    by_hand = view().envelope(credentials)
    serialized = view.OutputSerializer(wrap(credentials)).data
    assert json.dumps(by_hand) == json.dumps(serialized)
