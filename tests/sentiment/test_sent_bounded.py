"""`rotascope sentiment` on runaway input: a 50 MB CSV is streamed with bounded memory (peak RSS measured
on the real command in a subprocess), and a device, a FIFO or a file over ``max_input_mb`` is refused in
one sentence before anything is read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from peakrss import run_measured

HEADLINES = (
    "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn",
    "Company X announces layoffs as demand falls",
    "The board met in Espoo on Tuesday",
    "Net sales fell 12 % in the quarter",
    "Shares jumped after the upgrade",
)
BODY = ("The company said in a statement that it would publish its results later in the year. " * 12)[:1000]


def run(
    args: list[str], env: dict[str, str], stdout: int | object = subprocess.DEVNULL
) -> tuple[int, str, int]:
    """Exit code, stderr and peak RSS (KiB) of ``rotascope ARGS`` in a child process (its own peak)."""
    return run_measured([sys.executable, "-m", "rotascope", *args], env, stdout)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ROTASCOPE_HOME": str(tmp_path / "home")}


def write_csv(path: Path, megabytes: int) -> int:
    """A news CSV (id, headline, body) of about ``megabytes`` MB; its number of data rows."""
    rows = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,headline,body\n")
        while fh.tell() < megabytes * 1_000_000:
            block = "".join(
                f'{rows + k},"{HEADLINES[(rows + k) % len(HEADLINES)]} ({rows + k})","{BODY}"\n'
                for k in range(1000)
            )
            fh.write(block)
            rows += 1000
    return rows


@pytest.mark.slow
def test_fifty_megabyte_csv_streams_under_300_mib(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "news.csv"
    n = write_csv(path, 50)
    assert path.stat().st_size >= 50_000_000
    out = tmp_path / "out.json"
    with out.open("wb") as fh:
        code, stderr, peak_kib = run(
            ["sentiment", str(path), "--text-column", "headline", "-f", "json"], env, fh
        )
    assert code == 0, stderr
    rows = json.loads(out.read_text())
    assert [r["row"] for r in rows[:3]] == [1, 2, 3] and rows[-1]["row"] == n and len(rows) == n
    assert rows[1]["text"] == f"{HEADLINES[1]} (1)" and rows[1]["label"] == "negative"
    print(f"peak RSS {peak_kib / 1024:.0f} MiB for {n:,} rows")
    assert peak_kib < 300 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB on a 50 MB CSV"


def test_streamed_json_is_the_whole_list_dump(tmp_path: Path, env: dict[str, str]) -> None:
    """Three chunks of output (CHUNK_ROWS is 10,000) print exactly what one json.dumps of the list prints."""
    path = tmp_path / "news.csv"
    path.write_text(
        "headline\n" + "".join(f"{HEADLINES[k % len(HEADLINES)]}\n" for k in range(20_001)), encoding="utf-8"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rotascope",
            "sentiment",
            str(path),
            "--text-column",
            "headline",
            "-f",
            "json",
        ],
        capture_output=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["row"] for r in rows] == list(range(1, 20_002))
    assert result.stdout.decode() == json.dumps(rows, sort_keys=True, indent=2) + "\n"


def test_dev_zero_is_refused(env: dict[str, str]) -> None:
    code, stderr, peak_kib = run(["sentiment", "/dev/zero", "--text-column", "text"], env)
    assert code == 1 and "Traceback" not in stderr
    assert stderr.strip().splitlines() == [
        "Error: CSV file /dev/zero is a device or socket, not a regular file; give a file on disk."
    ]
    assert peak_kib < 300 * 1024


def test_fifo_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    code, stderr, _ = run(["sentiment", str(fifo), "--text-column", "text"], env)
    assert code == 1 and "is a FIFO, not a regular file" in stderr and len(stderr.strip().splitlines()) == 1


def test_file_over_max_input_mb_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "news.csv"
    write_csv(path, 3)
    code, stderr, _ = run(
        ["sentiment", str(path), "--text-column", "headline"], {**env, "ROTASCOPE_MAX_INPUT_MB": "2"}
    )
    assert code == 1 and len(stderr.strip().splitlines()) == 1
    assert "is 3 MiB, over the max_input_mb setting of 2 MiB" in stderr
    ok, stderr, _ = run(["sentiment", str(path), "--text-column", "headline", "-f", "json"], env)
    assert ok == 0, stderr
