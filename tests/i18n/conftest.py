"""The demo's fixtures (account, signed-in alice, root keys), for pages seen in other languages and zones; and a clear
failure when the catalogs were not compiled (the .mo files are built by `make install`, never committed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.demo.conftest import account, alice_client, root

__all__ = ["account", "alice_client", "compiled_catalogs", "root"]

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.fixture(scope="session")
def compiled_catalogs() -> None:
    stale = [
        str(po.relative_to(LOCALE))
        for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        pytest.fail(f"compile the catalogs first (make messages): {', '.join(stale)} newer than their .mo")
