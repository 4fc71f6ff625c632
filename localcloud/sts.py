"""STS API 3.0 (placeholder: the STS part of the localcloud work replaces this)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.app import LocalCloud


def handle(app: LocalCloud, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    raise NotImplementedError
