"""Run a command and read its own peak RSS, not pytest's.

Linux carries a process's peak RSS across fork and exec, so a child forked straight from a large pytest
process reports pytest's peak (834 MiB where the command used 60). A bare python launcher forks the command
and reports the child's ``ru_maxrss`` (the same method as benchmarks/bench_memory.py).
"""

from __future__ import annotations

import subprocess
import sys

LAUNCH = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execvp(sys.argv[1], sys.argv[1:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "sys.stderr.write(f'\\nMAXRSS {usage.ru_maxrss}\\n')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_measured(
    argv: list[str], env: dict[str, str], stdout: int | object = subprocess.DEVNULL
) -> tuple[int, str, int]:
    """Exit code, stderr (without the launcher's line) and peak RSS in KiB of ``argv``."""
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, *argv],
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        env=env,
        check=False,
    )
    text = proc.stderr.decode()
    head, _, tail = text.rpartition("\nMAXRSS ")
    return proc.returncode, head, int(tail.strip())
