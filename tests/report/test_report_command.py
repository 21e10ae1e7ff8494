"""`rotascope report` and `rotascope diff` through Typer's CliRunner on a fresh app with ``register``."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rotascope.atomicfile import atomic_write
from rotascope.config import Settings
from rotascope.report.command import register
from rotascope.store.analyses import list_analyses
from rotascope.store.db import open_store


def make_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)

    @app.callback()
    def root() -> None:
        """Test root: settings come in as ``obj``."""

    register(app)
    return app


def invoke(settings: Settings, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(make_app(), list(args), obj=settings, env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def stored_ids(settings: Settings) -> list[str]:
    store = open_store(settings)
    try:
        return [r.id for r in list_analyses(store, limit=1000)]
    finally:
        store.close()


def test_report_html_is_written_and_stored(
    loaded_settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "week.html"
    code, out, err = invoke(loaded_settings, cli_env, "report", "--as-of", "2024-07-19", "-o", str(target))
    assert code == 0, err
    assert out.strip() == str(target)
    page = target.read_text()
    assert "as of 2024-07-19" in page and "data:image/png;base64," in page
    assert [p.name for p in tmp_path.iterdir()] == ["week.html"]  # no temp file left behind
    ident = re.search(r"analysis ([0-9a-f]{16})", page)
    assert ident is not None and ident.group(1) in stored_ids(loaded_settings)

    # the stored analysis can be diffed against another one, in both output formats
    code, _, err = invoke(
        loaded_settings,
        cli_env,
        "report",
        "--as-of",
        "2024-07-12",
        "-f",
        "md",
        "-o",
        str(tmp_path / "prev.md"),
    )
    assert code == 0, err
    assert (tmp_path / "prev_charts" / "iwm_spy.png").read_bytes().startswith(b"\x89PNG")
    prev = re.search(r"analysis ([0-9a-f]{16})", (tmp_path / "prev.md").read_text())
    assert prev is not None
    first, second = prev.group(1)[:10], ident.group(1)  # a unique prefix works as well as the id
    code, out, err = invoke(loaded_settings, cli_env, "diff", first, second, "-f", "json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["ladder"] == {"name": "ladder", "old": 0.0, "new": 5.0, "delta": 5.0}
    assert payload["broadening"] == "broadening"
    code, out, err = invoke(loaded_settings, cli_env, "diff", prev.group(1), ident.group(1))
    assert code == 0, err
    assert "Evidence that changed" in out and "BROADENING" in out


def test_single_stock_report(loaded_settings: Settings, cli_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "aap.md"
    code, _, err = invoke(
        loaded_settings,
        cli_env,
        "report",
        "--symbol",
        "aap",
        "--as-of",
        "2024-07-19",
        "-f",
        "md",
        "-o",
        str(target),
    )
    assert code == 0, err
    text = target.read_text()
    assert text.startswith("# rotascope — AAP — as of 2024-07-19")
    assert "single-stock report" in text and "close-to-close ATR-14" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--symbol", "NOPE"), "Unknown symbol 'NOPE'"),
        (("--symbol", "SPY"), "SPY is the benchmark"),
        (("--as-of", "2024-13-01"), "2024-13-01"),
        (("-o", "{tmp}/missing/r.html"), "does not exist"),
        (("-o", "{tmp}"), "it is a folder"),
    ],
)
def test_errors_are_one_sentence(
    loaded_settings: Settings, cli_env: dict[str, str], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, _, err = invoke(loaded_settings, cli_env, "report", *argv)
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder(loaded_settings: Settings, cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, _, err = invoke(loaded_settings, cli_env, "report", "-o", str(folder / "r.html"))
    finally:
        folder.chmod(0o755)
    assert code == 1 and "not writable" in err
    assert list(folder.iterdir()) == []


def test_bad_format_and_unknown_diff_id(loaded_settings: Settings, cli_env: dict[str, str]) -> None:
    code, _, err = invoke(loaded_settings, cli_env, "report", "-f", "docx")
    assert code == 2 and "must be 'html', 'md' or 'pdf'" in err
    code, _, err = invoke(loaded_settings, cli_env, "diff", "zzzz", "yyyy")
    assert code == 1 and "No stored analysis with id 'zzzz'" in err
    assert len(err.strip().splitlines()) == 1


def test_read_only_folder_as_root_too(
    loaded_settings: Settings, cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same check when the process could write anyway (root): the access test is what decides."""
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path else real(p, mode))
    code, _, err = invoke(loaded_settings, cli_env, "report", "-o", str(tmp_path / "r.html"))
    assert code == 1 and f"folder {tmp_path} is not writable" in err
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rotascope.errors import RotascopeError

    target = tmp_path / "r.html"
    atomic_write(target, b"old")

    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(RotascopeError, match="No space left on device"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_atomic_write_keeps_the_mode_and_follows_the_umask(tmp_path: Path) -> None:
    """A replaced file keeps its mode; a new one gets 0o666 minus the umask, as open() would give it."""
    old = os.umask(0o077)
    try:
        fresh = tmp_path / "new.csv"
        atomic_write(fresh, "a\n")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
        kept = tmp_path / "kept.html"
        kept.write_text("old")
        kept.chmod(0o640)
        atomic_write(kept, b"new")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_bytes() == b"new"
    finally:
        os.umask(old)
