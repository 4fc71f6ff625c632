"""One version number: pyproject.toml's, and everything that shows a version shows that one."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_it_documents_the_api_with_the_projects_version(client: Client, db: None) -> None:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["version"] == PYPROJECT_VERSION


def test_it_writes_the_version_nowhere_else() -> None:
    # package.json is private (never published) and carries no version of its own.
    assert '"version"' not in (ROOT / "package.json").read_text()
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    assert re.findall(r"""["']\d+\.\d+\.\d+["']""", settings_source) == []
