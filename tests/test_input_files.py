"""Every reader of a file the user names refuses a device, a FIFO or an oversized file in one sentence
before reading it (config TOML here; the sentiment CSV in tests/sentiment/test_sent_bounded.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rotascope.errors import ConfigError, InputError
from rotascope.inputfile import check_input
from rotascope.tomlfile import read_toml


def test_config_file_that_is_a_device_is_one_sentence(tmp_path: Path) -> None:
    env = {**os.environ, "ROTASCOPE_HOME": str(tmp_path / "home"), "ROTASCOPE_CONFIG": "/dev/zero"}
    result = subprocess.run(
        [sys.executable, "-m", "rotascope", "data", "status"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: Config file /dev/zero is a device or socket, not a regular file; give a file on disk."
    ]


def test_fifo_and_oversized_toml_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "thresholds.toml"
    os.mkfifo(fifo)  # opening it for reading would block forever
    with pytest.raises(ConfigError, match="is a FIFO, not a regular file"):
        read_toml(fifo, "Thresholds file")
    big = tmp_path / "sweep.toml"
    big.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    with pytest.raises(InputError, match=r"is 2 MiB, over the max_input_mb setting of 1 MiB"):
        check_input(big, "Sweep file", max_mb=1)
    assert check_input(big, "Sweep file") == big.stat().st_size
    with pytest.raises(ConfigError, match="is a folder"):
        read_toml(tmp_path, "Sweep file")
