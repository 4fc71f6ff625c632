"""COS XML API (placeholder: the COS part of the localcloud work replaces this)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.app import LocalCloud


class CosService:
    def __init__(self, app: LocalCloud) -> None:
        self.app = app

    def handle(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raise NotImplementedError
