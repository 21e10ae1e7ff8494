"""Docs kept true by tests: every setting documented, the README's commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from rotascope.cli import app
from rotascope.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs/settings.md").read_text()
    for s in SETTINGS:
        assert f"| `{s.name}` | `{s.default!r}` | {s.help} |" in text, s.name


def test_readme_starts_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text().splitlines()[:12]
    assert any("make demo" in line for line in head)
    assert any("make test" in line for line in head)


def test_readme_cli_commands_exist() -> None:
    runner = CliRunner()
    readme = (ROOT / "README.md").read_text()
    for command in sorted(set(re.findall(r"^rotascope ([a-z]+(?: [a-z]+)?)", readme, flags=re.M))):
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, command
