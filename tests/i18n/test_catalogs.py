"""The catalogs are complete: makemessages, run on a copy of the sources, finds nothing untranslated or fuzzy in
zh-hans or ja (a string added to a template or a page script without its translations fails here)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("zh_Hans", "ja")
DOMAINS = ("django", "djangojs")
# What makemessages must not read: dependencies, generated files and the tests' own strings.
SKIP = {".git", ".venv", "node_modules", "staticfiles", "artifacts", "var", "tests", "bench", "docs"}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project whose locale/ makemessages has brought up to date with the sources."""
    copy = tmp_path_factory.mktemp("sources") / "portal"
    shutil.copytree(ROOT, copy, ignore=lambda folder, names: [n for n in names if n in SKIP or n.endswith(".mo")])
    for domain in DOMAINS:
        command = [sys.executable, "manage.py", "makemessages", "-d", domain, "--no-obsolete"]
        command += [arg for language in LANGUAGES for arg in ("-l", language)]
        env = {"PATH": "/usr/bin:/bin", "PORTAL_VAR_DIR": str(copy / "var"), "CLOUD_BACKEND": "local"}
        subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=120)
    return copy / "locale"


def entries(po: Path, *flags: str) -> str:
    """The entries of a catalog msgattrib selects (untranslated, fuzzy), as PO text; empty when there are none."""
    result = subprocess.run(["msgattrib", "--no-wrap", *flags, str(po)], check=True, capture_output=True, text=True)
    return result.stdout


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_it_has_every_string_translated(regenerated: Path, language: str, domain: str) -> None:
    po = regenerated / language / "LC_MESSAGES" / f"{domain}.po"
    untranslated = entries(po, "--untranslated")
    assert untranslated == "", f"untranslated in {language}/{domain}.po (translate them in locale/):\n{untranslated}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_it_has_no_fuzzy_translation(regenerated: Path, language: str, domain: str) -> None:
    po = regenerated / language / "LC_MESSAGES" / f"{domain}.po"
    fuzzy = entries(po, "--only-fuzzy")
    assert fuzzy == "", f"fuzzy in {language}/{domain}.po (check and unmark them in locale/):\n{fuzzy}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_it_keeps_the_committed_catalogs_current(regenerated: Path, language: str, domain: str) -> None:
    """The committed .po files already hold what makemessages finds (so the compiled build has it too)."""
    committed = msgids(ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.po")
    assert msgids(regenerated / language / "LC_MESSAGES" / f"{domain}.po") == committed


def msgids(po: Path) -> set[str]:
    result = subprocess.run(
        ["msgcat", "--no-wrap", "--no-location", "--sort-output", str(po)], check=True, capture_output=True, text=True
    )
    return {line for line in result.stdout.splitlines() if line.startswith(("msgid", "msgctxt"))}
