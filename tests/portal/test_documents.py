"""The documents point at things that exist: every picture and file the README links to is in the checkout, and the
benchmark page's latest results are rewritten in place, leaving the hand-written rest alone."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import harness, publish

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A file of the repository named in prose: `signer/audit.py`, `bench/RESULTS.md`, ...
CITED = re.compile(
    r"(?<![\w/.-])((?:portal|signer|demo|qcloud|localcloud|tests|bench|docs|static|templates)/[\w/.-]*\w"
    r"\.(?:py|md|html|js|css|lua|png|yaml|toml))\b"
)
DOCUMENTS = ["README.md", "SECURITY.md", "CONTRIBUTING.md", "CHANGELOG.md", "bench/RESULTS.md"]


def python_prose(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every comment and docstring of a Python file: where a reader is sent to another file."""
    text = path.read_text()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                yield node.body[0].lineno, docstring


@pytest.mark.parametrize("document", DOCUMENTS)
def test_it_links_only_to_committed_files(document: str) -> None:
    path = ROOT / document
    links = [link for link in LINK.findall(path.read_text()) if not link.startswith(("http://", "https://", "#"))]
    assert [link for link in links if not (path.parent / link.split("#", 1)[0]).exists()] == []
    # artifacts/ is git-ignored: a link into it shows nothing on a fresh checkout.
    assert [link for link in links if link.startswith("artifacts/")] == []


def test_it_shows_the_committed_screenshots_in_the_readme() -> None:
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (ROOT / "README.md").read_text())
    assert len(pictures) >= 10
    assert all(picture.startswith("docs/screenshots/") and picture.endswith(".png") for picture in pictures)
    assert [picture for picture in pictures if not (ROOT / picture).is_file()] == []


def test_it_publishes_the_latest_results_between_the_markers_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "sign.md").write_text("### sign\n\n| endpoint | req/s |\n|---|---|\n| /sign | 489.3 |\n")
    monkeypatch.setattr(publish, "RESULTS_DIR", results)
    page = tmp_path / "RESULTS.md"
    page.write_text(f"# Benchmarks\n\nby hand\n\n{publish.START}\nold numbers\n{publish.END}\n\n## Findings\n\nkept\n")
    monkeypatch.setattr(publish, "ROOT", tmp_path)

    publish.update(page)

    text = page.read_text()
    assert "old numbers" not in text
    assert text.startswith("# Benchmarks\n\nby hand\n\n")
    assert text.endswith(f"{publish.END}\n\n## Findings\n\nkept\n")
    assert "| /sign | 489.3 |" in text
    assert f"Machine of the latest run: {harness.machine_line()}." in text
    assert "Pending (no result yet): cos_throughput, listing, demo_page, profile_sign." in text


def test_it_keeps_the_benchmark_page_ready_for_publishing() -> None:
    text = publish.RESULTS_PAGE.read_text()
    assert text.count(publish.START) == 1
    assert text.count(publish.END) == 1
    assert "### sign" in text.split(publish.START, 1)[1].split(publish.END, 1)[0]


def test_it_cites_only_files_that_exist() -> None:
    # A comment or a document that sends the reader to a file that has moved is a wrong document.
    cited: list[tuple[str, int, str]] = []
    for package in ("portal", "signer", "demo", "qcloud", "localcloud", "tests", "bench"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, text in python_prose(path):
                cited += [(path.relative_to(ROOT).as_posix(), line, name) for name in CITED.findall(text)]
    for document in DOCUMENTS:
        for number, text in enumerate((ROOT / document).read_text().splitlines(), 1):
            cited += [(document, number, name) for name in CITED.findall(text)]
    assert len(cited) > 20  # the pattern finds the citations it is meant to check
    assert [(where, line, name) for where, line, name in cited if not (ROOT / name).exists()] == []
