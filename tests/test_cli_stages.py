"""The command tree loads only the stage a run asks for, and the stage table matches the registrations."""

from __future__ import annotations

import inspect
import subprocess
import sys

import typer.main
from typer.testing import CliRunner

from importprobe import run_watching
from rotascope.cli import STAGES, SUMMARIES, build_app, help_app, stages_for


def _commands(app: typer.Typer) -> list[str]:
    return list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_stage_table_equals_what_each_module_registers() -> None:
    for stage, names in STAGES.items():
        assert _commands(build_app((stage,))) == list(names), stage
    assert sorted(_commands(build_app())) == sorted(n for names in STAGES.values() for n in names)


def test_the_command_word_picks_its_stage() -> None:
    assert stages_for(["monitor"]) == ("monitor",)
    assert stages_for(["--home", "/x", "debate", "SAIA"]) == ("analysis",)
    assert stages_for(["--db", "monitor", "data", "status"]) == ("store",)  # --db takes a value
    assert stages_for(["--home=/x", "review"]) == ("calibration",)
    assert stages_for(["--help"]) == tuple(STAGES)
    assert stages_for(["nonsense"]) == tuple(STAGES)  # click names the unknown command among all
    assert stages_for([]) == tuple(STAGES)


def test_monitor_run_imports_no_dataframe_or_learning_library(cli_env: dict[str, str]) -> None:
    """A warm `monitor` maps the saved panel: pandas, scikit-learn and scipy stay unimported."""
    warm = [sys.executable, "-m", "rotascope", "monitor"]
    subprocess.run(warm, env=cli_env, check=True, capture_output=True)
    run, loaded = run_watching(["monitor"], cli_env, ("pandas", "sklearn", "scipy"))
    assert loaded == []
    assert "Evidence ladder" in run.stdout or "ladder" in run.stdout.lower()


def test_help_lists_every_command(cli_env: dict[str, str]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "rotascope", "--help"], env=cli_env, capture_output=True, text=True, check=True
    )
    for names in STAGES.values():
        for name in names:
            assert name in run.stdout


def test_root_help_lists_the_commands_without_loading_them() -> None:
    """`rotascope --help` and bare `rotascope` print, from ``SUMMARIES``, exactly the real tree's help."""
    runner = CliRunner()
    for argv in (["--help"], []):
        real = runner.invoke(build_app(), argv, terminal_width=100)
        listed = runner.invoke(help_app(), argv, terminal_width=100)
        assert listed.output == real.output and listed.exit_code == real.exit_code
    for stage, names in STAGES.items():
        cmd = typer.main.get_command(build_app((stage,)))
        for name in names:
            command = cmd.commands[name]  # type: ignore[attr-defined]
            doc = inspect.getdoc(command.callback) if command.callback else command.help
            assert SUMMARIES[name] == (doc or command.help).split("\n\n")[0], name
    assert list(SUMMARIES) == list(typer.main.get_command(build_app()).commands)  # type: ignore[attr-defined]


def test_root_help_process_imports_no_stage(cli_env: dict[str, str]) -> None:
    run, loaded = run_watching(["--help"], cli_env, (f"rotascope.{stage}.command" for stage in STAGES))
    assert loaded == []
    assert "monitor" in run.stdout and "Commands" in run.stdout


def test_version_answers_without_a_command(cli_env: dict[str, str]) -> None:
    from rotascope import __version__

    run = subprocess.run(
        [sys.executable, "-m", "rotascope", "--version"], env=cli_env, capture_output=True, text=True
    )
    assert run.returncode == 0 and run.stdout.strip() == f"rotascope {__version__}"
