"""What collectstatic publishes: the few files the pages load from npm packages, and no unused bundles.

A STATICFILES_DIRS entry publishes a whole folder: for pico that is 20 MB of colour variants that collectstatic would
hash and compress on every deployment. VendorFinder publishes exactly the files of settings.STATIC_VENDOR_FILES,
under their names there. AppDirectoriesFinder is Django's, without the bundles no page uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, overload

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.utils import matches_patterns
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class VendorFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files = {name: Path(source) for name, source in settings.STATIC_VENDOR_FILES.items()}

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        return [
            Error(
                f"{source} is missing, so /static/{name} would answer 404",
                hint="Install the npm packages: `npm ci` (make install does it).",
                id="portal.E001",
            )
            for name, source in self.files.items()
            if not source.is_file()
        ]

    @overload
    def find(self, path: str, find_all: Literal[False] = False) -> str | None: ...

    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str] | None:
        source = self.files.get(path)
        found = [str(source)] if source is not None and source.is_file() else []
        if find_all or kwargs.get("all"):
            return found
        return found[0] if found else None

    def list(self, ignore_patterns: Iterable[str] | None) -> Iterator[tuple[str, FileSystemStorage]]:
        for name, source in self.files.items():
            if not source.is_file() or matches_patterns(name, list(ignore_patterns or [])):
                continue
            storage = FileSystemStorage(location=source.parent)
            # collectstatic and whitenoise publish a storage's files under its prefix.
            storage.prefix = str(Path(name).parent)  # type: ignore[attr-defined]
            yield source.name, storage


# ReDoc (13 MB; the API docs are Swagger UI) and DRF's browsable API (5 MB; the API renders JSON only).
UNUSED = ["drf_spectacular_sidecar/redoc/*", "rest_framework/*"]


class AppDirectoriesFinder(finders.AppDirectoriesFinder):
    def list(self, ignore_patterns: Iterable[str] | None) -> Any:
        return super().list([*(ignore_patterns or []), *UNUSED])


class ManifestStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]  # whitenoise has no types
    """whitenoise's hashed, compressed storage, with the page scripts' ES module imports (`from './upload.js'`)
    rewritten to the hashed names too: otherwise a page's entry module is cached for ten years while the modules it
    imports are served under their plain names, and one deployment could mix two versions of them."""

    support_js_module_import_aggregation = True
