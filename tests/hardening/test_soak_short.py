"""The soak of `make soak`, short (5 s, 10 clients), so CI exercises it: real processes, nothing lost, nothing leaked.

bench/soak.py starts localcloud and the portal under gunicorn in a temporary folder, users from bootstrap_demo, and
mixes /sign, /sts, listing and uploads; here we also look at the portal's database file and every log the processes
wrote, for each secret the clients were handed and for the account's SecretKey.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from bench import soak
from bench.soak import Stack, Tally


def test_it_survives_mixed_load_with_no_5xx_and_no_lost_upload() -> None:
    looked: dict[str, object] = {}

    def inspect(stack: Stack, tally: Tally) -> None:
        var = Path(stack.env["PORTAL_VAR_DIR"])
        files = sorted(var.glob("portal.sqlite3*"))  # the database and its WAL
        assert files, list(var.iterdir())
        stored = b"".join(path.read_bytes() for path in files)
        logs = b"".join(path.read_bytes() for path in stack.logs)
        # The account's SecretKey: bootstrap_demo's assume-only sub-user key (made through CAM) or the root key.
        account_keys = {soak.ROOT_SECRET_KEY}
        with sqlite3.connect(Path(stack.env["LOCALCLOUD_DATA"]) / "credentials.sqlite3") as cam:
            account_keys |= {row[0] for row in cam.execute("SELECT secret_key FROM cam_access_keys")}
        secrets = {*tally.secrets, *account_keys}
        looked["secrets"] = len(secrets)
        looked["in_database"] = sorted(s[:6] for s in secrets if s.encode() in stored)
        # localcloud prints its root keys at start, on purpose: they are the documented public development keys.
        looked["in_logs"] = sorted(s[:6] for s in secrets - {soak.ROOT_SECRET_KEY} if s.encode() in logs)
        looked["database_bytes"] = len(stored)

    out = io.StringIO()
    report = soak.run(duration=5, clients=10, workers=2, out=out, inspect=inspect)
    printed = out.getvalue()
    assert report.ok, printed
    assert not report.server_errors, printed
    for kind in ("login", "sign", "sts", "sts_scoped", "list", "upload"):
        assert report.requests[f"{kind} 200"] > 0, printed
    assert report.acknowledged > 10, printed
    assert report.verified == report.acknowledged, printed
    assert "5xx answers                         0" in printed
    assert "soak: OK" in printed

    # The portal's database file (audit rows for every delivery) and the process logs hold none of them.
    assert looked["secrets"] > 3
    assert looked["database_bytes"] > 0
    assert looked["in_database"] == [], looked
    assert looked["in_logs"] == [], looked
