"""Writes the latest results into bench/RESULTS.md, between `<!-- results:start -->` and `<!-- results:end -->`:
the machine of the run, then bench/results/<name>.md of each benchmark in turn. The rest of RESULTS.md (how the
benchmarks run, what the numbers say and what was done about them) is written by hand and never touched.

    python -m bench --publish-only
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.harness import RESULTS_DIR, ROOT, machine_line

START = "<!-- results:start -->"
END = "<!-- results:end -->"
ORDER = ["sign", "cos_throughput", "listing", "demo_page", "profile_sign"]
RESULTS_PAGE = Path(__file__).with_name("RESULTS.md")


def results_markdown() -> tuple[str, list[str]]:
    parts, missing = [], []
    for name in ORDER:
        path = RESULTS_DIR / f"{name}.md"
        if path.exists():
            parts.append(path.read_text().strip())
        else:
            missing.append(name)
    return "\n\n".join(parts), missing


def machine_of_results() -> str:
    for name in ORDER:
        path = RESULTS_DIR / f"{name}.json"
        if path.exists():
            return machine_line(json.loads(path.read_text())["machine"])
    return machine_line()


def section() -> str:
    body, missing = results_markdown()
    notes = f"Machine of the latest run: {machine_of_results()}."
    if missing:
        notes += f"\n\nPending (no result yet): {', '.join(missing)}."
    return f"{START}\n## Latest results\n\n{notes}\n\n{body}\n{END}"


def update(page: Path = RESULTS_PAGE) -> None:
    text = page.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{page} has no {START} ... {END} section")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = section()
    page.write_text(head + new + tail)
    print(f"updated {page.relative_to(ROOT)} ({len(new):,} characters of results)")
