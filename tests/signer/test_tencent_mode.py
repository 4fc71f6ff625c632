"""Tencent mode: the real STS endpoint over https, and no start without a key to encrypt cloud secrets (no network)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.core.checks import run_checks

from signer import sts

REPO = Path(__file__).resolve().parents[2]


def test_it_targets_sts_tencentcloudapi_com_over_https_in_tencent_mode(settings: Any) -> None:
    settings.LOCAL_MODE = False
    settings.CLOUD_BACKEND = "tencent"
    settings.STS_TIMEOUT = 3.5
    assert sts.endpoint() == sts.Endpoint(host="sts.tencentcloudapi.com", protocol="https")
    client = sts.client(secret_id="AKIDEXAMPLE", secret_key="example-key", region="ap-beijing")
    profile = client.profile.httpProfile
    assert (profile.endpoint, profile.scheme, profile.reqTimeout) == ("sts.tencentcloudapi.com", "https", 3.5)
    assert client.region == "ap-beijing"
    assert client._get_endpoint() == "sts.tencentcloudapi.com"
    assert client.request.is_http is False
    assert client.request.conn.timeout == 3.5
    # The SDK verifies TLS certificates (certifi's bundle) rather than trusting anything.
    assert client.request.conn.certification.endswith(".pem")


def test_it_targets_localcloud_over_http_in_local_mode(settings: Any) -> None:
    settings.LOCAL_MODE = True
    settings.LOCALCLOUD_URL = "http://127.0.0.1:9187"
    assert sts.endpoint() == sts.Endpoint(host="127.0.0.1:9187", protocol="http")
    client = sts.client(secret_id="AKIDEXAMPLE", secret_key="example-key", region="ap-guangzhou")
    assert (client.profile.httpProfile.endpoint, client.profile.httpProfile.scheme) == ("127.0.0.1:9187", "http")
    assert client.request.is_http is True
    # Loopback never goes through a proxy from the environment.
    assert client.request.conn._session.trust_env is False


def test_it_reports_a_missing_secrets_key_in_tencent_mode(settings: Any) -> None:
    settings.LOCAL_MODE = False
    settings.PORTAL_SECRETS_KEYS = []
    errors = [message for message in run_checks() if message.id == "signer.E001"]
    assert len(errors) == 1
    assert "PORTAL_SECRETS_KEYS is not set" in errors[0].msg
    settings.PORTAL_SECRETS_KEYS = ["not a fernet key"]
    assert [m.id for m in run_checks() if m.id.startswith("signer.")] == ["signer.E002"]


def _manage_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUD_", "PORTAL_", "SECRET_"))}
    env.update(
        {"CLOUD_BACKEND": "tencent", "SECRET_KEY": "s" * 60, "PORTAL_VAR_DIR": str(tmp_path), "ALLOWED_HOSTS": "x"},
        **extra,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_refuses_to_start_in_tencent_mode_without_the_key(tmp_path: Path) -> None:
    refused = _manage_check(tmp_path)
    assert refused.returncode != 0
    assert "signer.E001" in refused.stderr
    assert "PORTAL_SECRETS_KEYS is not set" in refused.stderr
    started = _manage_check(tmp_path, PORTAL_SECRETS_KEYS=Fernet.generate_key().decode())
    assert started.returncode == 0, started.stderr
