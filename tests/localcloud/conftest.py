"""Fixtures for driving localcloud's COS API with the real cos-python-sdk-v5 over real sockets."""

from __future__ import annotations

import base64
import hashlib
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from qcloud_cos import CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from localcloud.config import DEFAULT_APPID
from localcloud.credentials import IssuedCredentials
from localcloud.server import RunningServer
from tests.cos_sdk import REGION, cos_client

ClientFactory = Callable[..., CosS3Client]


def new_bucket_name(prefix: str = "t") -> str:
    return f"{prefix}{secrets.token_hex(5)}-{DEFAULT_APPID}"


def cos_error(excinfo: pytest.ExceptionInfo[CosServiceError]) -> tuple[int, str, str]:
    error = excinfo.value
    return error.get_status_code(), error.get_error_code(), error.get_error_msg()


@pytest.fixture
def root(localcloud: RunningServer) -> CosS3Client:
    return cos_client(localcloud)


@pytest.fixture
def bucket(root: CosS3Client) -> str:
    """A fresh bucket in ap-guangzhou, owned by the root account."""
    name = new_bucket_name()
    root.create_bucket(Bucket=name)
    return name


@pytest.fixture
def issue(localcloud: RunningServer) -> Callable[..., IssuedCredentials]:
    """Temporary credentials straight from localcloud's credential store (the STS tests cover the STS path)."""

    def issue(*policies: dict[str, Any], name: str = "alice", duration: int = 1800) -> IssuedCredentials:
        return localcloud.app.credentials.issue(name=name, policies=list(policies), duration=duration)

    return issue


@pytest.fixture
def temporary_client(localcloud: RunningServer) -> Callable[[IssuedCredentials], CosS3Client]:
    def make(creds: IssuedCredentials, **extra: Any) -> CosS3Client:
        return cos_client(localcloud, creds.secret_id, creds.secret_key, creds.token, **extra)

    return make


def resource(bucket: str, key: str = "", region: str = REGION) -> str:
    return f"qcs::cos:{region}:uid/{DEFAULT_APPID}:{bucket}/{key}"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"version": "2.0", "statement": list(statements)}


def allow(actions: list[str], resources: list[str], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"effect": "allow", "action": actions, "resource": resources}
    if condition:
        statement["condition"] = condition
    return statement


def deny(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"effect": "deny", "action": actions, "resource": resources}


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def parse_xml(data: bytes) -> ET.Element:
    """An answer from the localcloud under test (trusted)."""
    return ET.fromstring(data)  # noqa: S314
