"""Run the CLI in a fresh process and report which of some modules it imported (a uniquely named module
shared by the tests that keep warm paths light)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable

PROBE = (
    "import atexit, json, sys\n"
    "watched = json.loads(sys.argv[1])\n"
    "atexit.register(lambda: sys.stderr.write('\\nLOADED ' + json.dumps(sorted(m for m in watched"
    " if m in sys.modules)) + '\\n'))\n"
    "sys.argv = ['rotascope', *sys.argv[2:]]\n"
    "from rotascope.cli import main\n"
    "main()\n"
)


def run_watching(
    args: list[str], env: dict[str, str], watched: Iterable[str]
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """``rotascope ARGS`` as a whole process; its result and which ``watched`` modules it had loaded."""
    run = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(watched)), *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [ln for ln in run.stderr.splitlines() if ln.startswith("LOADED ")]
    assert lines, run.stderr[-500:]
    return run, json.loads(lines[-1].removeprefix("LOADED "))
