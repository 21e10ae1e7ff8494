"""The dashboard's JavaScript parses: `node --check` on every static script (a syntax error in one page
stops every page, which the browser tests only see as a time-out)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "src" / "rotascope" / "web" / "static"


@pytest.mark.parametrize("script", sorted(p.name for p in STATIC.glob("*.js")))
def test_static_script_parses(script: str) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: JavaScript syntax not checked here (the browser tests still run)")
    result = subprocess.run([node, "--check", str(STATIC / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
