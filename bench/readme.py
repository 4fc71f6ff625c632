"""Writes the README's performance section (between `<!-- bench:start -->` and `<!-- bench:end -->`): bench/INTRO.md,
the latest bench/results/*.md, then bench/FINDINGS.md (what the numbers mean and what was done about them).
Nothing outside the markers is touched.

    python -m bench --readme-only
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.harness import RESULTS_DIR, ROOT, machine_line

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
ORDER = ["sign", "cos_throughput", "listing", "demo_page", "profile_sign"]

INTRO = Path(__file__).with_name("INTRO.md")
FINDINGS = Path(__file__).with_name("FINDINGS.md")


def _section(body: str, notes: str) -> str:
    return f"{START}\n{INTRO.read_text().strip()}\n\n{notes}\n{body}\n{END}"


def results_markdown() -> tuple[str, list[str]]:
    parts, missing = [], []
    for name in ORDER:
        path = RESULTS_DIR / f"{name}.md"
        if path.exists():
            parts.append("#" + path.read_text().strip())  # "### name" -> "#### name"
        else:
            missing.append(name)
    return "\n\n".join(parts), missing


def machine_of_results() -> str:
    for name in ORDER:
        path = RESULTS_DIR / f"{name}.json"
        if path.exists():
            return machine_line(json.loads(path.read_text())["machine"])
    return machine_line()


def update(readme: Path = ROOT / "README.md", findings: str | None = None) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme} has no {START} ... {END} section")
    body, missing = results_markdown()
    notes = f"Machine of the latest run: {machine_of_results()}.\n"
    if missing:
        notes += f"\nPending (no result yet): {', '.join(missing)}.\n"
    if findings is None and FINDINGS.exists():
        findings = FINDINGS.read_text().strip()
    if findings:
        body = f"{body}\n\n{findings}"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(head + _section("### Latest results\n\n" + body, notes) + tail)
    print(f"updated {readme.relative_to(ROOT)} ({len(body):,} characters of results)")
