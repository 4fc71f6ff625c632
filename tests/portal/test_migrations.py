"""The models and their migrations agree: a model change committed without its migration fails here, not at a
deployment's `migrate` (which would leave the database behind the code without a word)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command


def test_every_model_change_has_its_migration(db: None) -> None:
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as missing:  # what --check does when a migration is missing
        pytest.fail(f"a model change has no migration (exit {missing.code}): run makemigrations\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()
