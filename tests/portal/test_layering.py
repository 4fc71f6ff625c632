"""The layering CONTRIBUTING.md states, read from the imports: which package may import which, where Django may be
used, and the one module per external SDK. An import anywhere in a module counts, at the top or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"portal", "signer", "demo", "qcloud", "localcloud"}
# Package -> the packages of ours it may import.
ALLOWED = {
    "portal": {"signer", "demo"},
    "demo": {"signer", "qcloud"},
    "signer": {"qcloud"},
    "localcloud": {"qcloud"},
    "qcloud": set(),
}
# Dev wiring only: the management commands that run localcloud beside the portal in local mode.
WIRING = {("portal/management/", "localcloud")}
# bootstrap_demo reuses runserver's start and stop of a local localcloud; that code is to get a module of its own.
KNOWN = {("demo/management/commands/bootstrap_demo.py", "portal")}
DJANGO = {"django", "rest_framework", "knox", "drf_spectacular", "corsheaders", "csp", "django_redis"}
# tencentcloud-sdk-python-sts and -cam share the top-level package: STS in signer/sts.py, CAM in signer/cam.py.
SDKS = {"qcloud_cos": ("demo/cos.py",), "tencentcloud": ("signer/cam.py", "signer/sts.py")}


def imports() -> list[tuple[str, str]]:
    """(file relative to the root, top-level package imported) for every absolute import in our packages."""
    found = []
    for package in sorted(OURS):
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found += [(where, alias.name.split(".")[0]) for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.append((where, node.module.split(".")[0]))
    return found


IMPORTS = imports()


def test_it_reads_the_imports_it_judges() -> None:
    assert ("signer/sts.py", "tencentcloud") in IMPORTS
    assert ("demo/cos.py", "qcloud_cos") in IMPORTS


@pytest.mark.parametrize("package", sorted(OURS))
def test_it_imports_only_the_packages_below_it(package: str) -> None:
    wrong = [
        (where, imported)
        for where, imported in IMPORTS
        if where.startswith(f"{package}/")
        and imported in OURS - {package} - ALLOWED[package]
        and not any(where.startswith(prefix) and imported == target for prefix, target in WIRING | KNOWN)
    ]
    assert wrong == []


@pytest.mark.parametrize("package", ["qcloud", "localcloud"])
def test_it_keeps_django_out_of_the_plain_python_packages(package: str) -> None:
    inside = [(where, imported) for where, imported in IMPORTS if where.startswith(f"{package}/")]
    assert [(where, imported) for where, imported in inside if imported in DJANGO] == []


@pytest.mark.parametrize(("sdk", "homes"), sorted(SDKS.items()))
def test_it_imports_each_sdk_in_one_module(sdk: str, homes: tuple[str, ...]) -> None:
    assert tuple(sorted({where for where, imported in IMPORTS if imported == sdk})) == homes
