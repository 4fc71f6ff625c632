"""py-spy around a running process: record collapsed stacks while something runs, then the top frames.

py-spy (requirements-dev.txt) samples the real server processes from outside, so what is profiled is exactly what
the benchmarks measure (gunicorn workers, localcloud under cheroot), with no instrumentation inside them.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.harness import PYTHON, Table


def py_spy() -> str | None:
    local = Path(PYTHON).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


@dataclass
class Profile:
    samples: int
    self_counts: Counter[str]
    total_counts: Counter[str]

    def table(self, title: str, top: int = 15, *, keep: Sequence[str] = ()) -> Table:
        """The frames with the most samples on the stack (inclusive), with their own (self) share."""
        table = Table(title, ["frame", "on stack", "self"])
        ranked = [(name, count) for name, count in self.total_counts.most_common() if not keep or _kept(name, keep)]
        for name, count in ranked[:top]:
            table.add(name, f"{count / self.samples:.0%}", f"{self.self_counts[name] / self.samples:.0%}")
        table.notes.append(f"{self.samples:,} samples (py-spy, 100 Hz per process, idle threads excluded)")
        return table

    def share(self, needle: str) -> float:
        """Fraction of samples with a frame containing `needle` anywhere on the stack."""
        hits = sum(count for name, count in self.total_counts.items() if needle in name)
        return min(1.0, hits / self.samples) if self.samples else 0.0


def _kept(name: str, keep: Sequence[str]) -> bool:
    return any(part in name for part in keep)


def _frame(raw: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py)" ; lines differ per call site, merge them.
    name, _, where = raw.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def parse(path: Path) -> Profile:
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";") if f and not f.startswith("process ") and "(" in f]
        if not frames:
            continue
        samples += count
        self_counts[frames[-1]] += count
        for name in set(frames):
            total_counts[name] += count
    return Profile(samples, self_counts, total_counts)


@contextlib.contextmanager
def recording(pids: Sequence[int], out_dir: Path, rate: int = 100) -> Iterator[list[Path]]:
    """Record every pid with py-spy while the block runs; the collapsed-stack files are filled on exit."""
    binary = py_spy()
    if binary is None:
        raise RuntimeError("py-spy is not installed (pip install -r requirements-dev.txt)")
    outputs = [out_dir / f"py-spy-{pid}.txt" for pid in pids]
    processes = [
        subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for pid, out in zip(pids, outputs, strict=True)
    ]
    try:
        yield outputs
    finally:
        for process in processes:
            process.send_signal(2)  # SIGINT: py-spy writes its output and exits
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def merged(paths: Sequence[Path]) -> Profile:
    total = Profile(0, Counter(), Counter())
    for path in paths:
        if not path.exists():
            continue
        one = parse(path)
        total.samples += one.samples
        total.self_counts.update(one.self_counts)
        total.total_counts.update(one.total_counts)
    return total
