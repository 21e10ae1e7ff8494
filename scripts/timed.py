"""Run a command and print its wall time and peak memory (used by `make test` and `make check`).

Usage: ``python scripts/timed.py LABEL COMMAND...``. Prints one line after the command ends: the wall time,
the peak total RSS of the command's whole process tree (pytest workers and the subprocesses they start,
summed, sampled from /proc every 0.2 s: what the machine had to hold) and the largest single process's
peak (``ru_maxrss``, exact). Exits with the command's exit code. Where /proc is missing only the single-
process peak is printed.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
STEP = 0.2
"""Seconds between two samples of the process tree."""


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids of every process readable in /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and all its descendants now (0 for those that ended meanwhile)."""
    tree, todo, total = _children(), [root], 0
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def main(argv: list[str]) -> int:
    label, command = argv[0], argv[1:]
    sampling = Path("/proc/self/statm").exists()
    start = time.monotonic()
    proc = subprocess.Popen(command)
    peak = 0
    while proc.poll() is None:
        if sampling:
            peak = max(peak, tree_rss(proc.pid))
        time.sleep(STEP)
    wall = time.monotonic() - start
    single = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    tree = f"peak RSS {peak / 2**30:.1f} GiB (whole process tree), " if sampling else ""
    print(
        f"{label}: {wall // 60:.0f} min {wall % 60:.0f} s wall, {tree}"
        f"largest process {single / 2**30:.1f} GiB; exit code {proc.returncode}",
        file=sys.stderr,
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
