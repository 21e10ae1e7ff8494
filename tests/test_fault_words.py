"""Right words for the right fault: out-of-range numbers are refused at the CLI with their range, a full
disk says so (and that the store is intact), and "may be corrupt" is kept for errors that report damage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import typer

from rotascope.console import friendly_errors


def rotascope(args: list[str], home: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROTASCOPE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "rotascope", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["history", "--limit", "9223372036854775808"], "must be a whole number from 1 to 100000"),
        (["backtest", "--cost-bps", "1e308"], "must be a number from 0 to 1000 bps; got 1e+308"),
        (["backtest", "--cost-bps", "nan"], "must be a number from 0 to 1000 bps; got nan"),
        (["debate", "--all", "--top", "0"], "must be a whole number from 1 to 10000"),
        (["screen", "--top", "-1"], "must be a whole number from 0 to 100000"),
        (["serve", "--port", "70000"], "must be a whole number from 1 to 65535"),
    ],
)
def test_out_of_range_numbers_are_refused_with_their_range(
    tmp_path: Path, args: list[str], words: str
) -> None:
    result = rotascope(args, tmp_path / "home")
    assert result.returncode == 2, result.stderr
    flat = " ".join(line.strip("│ ╭╰─") for line in result.stderr.splitlines())
    assert words in " ".join(flat.split()) and "Traceback" not in result.stderr
    assert not (tmp_path / "home").exists()  # refused before anything ran


def test_backtest_horizons_beyond_ten_years_are_refused(tmp_path: Path) -> None:
    result = rotascope(["backtest", "--horizons", "1,4,100000"], tmp_path / "home")
    assert result.returncode == 1
    assert "--horizons must be whole weeks from 1 to 520" in result.stderr


def test_a_real_enospc_says_no_space_and_store_intact(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as ended, friendly_errors(), open("/dev/full", "wb") as fh:
        fh.write(b"x")
        fh.flush()  # /dev/full answers every write with ENOSPC (no file name: "the device")
    assert ended.value.exit_code == 1
    said = capsys.readouterr().err.strip()
    assert said == "Error: No space left on the device: free space and re-run; the store is intact."


def test_an_error_that_reports_no_damage_does_not_say_corrupt(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit), friendly_errors():
        duckdb.connect().execute("SELECT CAST(9223372036854775808 AS BIGINT)")
    said = capsys.readouterr().err
    assert "corrupt" not in said and "`rotascope data status` checks the store" in said


def _mount_tmpfs(where: Path) -> bool:
    if os.geteuid() != 0:
        return False
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


@pytest.mark.slow
def test_init_on_a_full_tmpfs_says_no_space_on_it(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        result = rotascope(["init"], disk / "home")
    finally:
        subprocess.run(["umount", str(disk)], check=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"Error: No space left on {disk}: free space and re-run; the store is intact."
