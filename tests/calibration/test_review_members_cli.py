"""Proof of issue 23 through the real CLI: `rotascope review --members --out DIR` writes member_calls.csv
and states the weight the evidence earned (or that it earned none)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def test_review_members_out_writes_member_calls(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "review"
    args = [sys.executable, "-m", "rotascope", "review", "--members", "--as-of", "2012-06-29"]
    args += ["--out", str(out)]
    got = subprocess.run(args, env=cli_env, capture_output=True, text=True, timeout=900)
    assert got.returncode == 0, got.stderr
    frame = pd.read_csv(out / "member_calls.csv")
    cols = ["as_of", "symbol", "horizon_weeks", "p_bull", "p_base", "p_bear", "band", "benchmark"]
    assert list(frame.columns) == cols and len(frame) > 0
    assert frame["as_of"].max() <= "2012-06-29"  # only calls known at the review's as-of
    assert np.allclose(frame[["p_bull", "p_base", "p_bear"]].sum(axis=1), 1.0, atol=1e-5)
    text = " ".join(got.stdout.split())
    assert "Brier and log-loss vs the base rates" in text
    assert ("the evidence earned a weight in" in text and "Hansen's SPA p =" in text) or (
        "the evidence never earned a weight" in text
    )
