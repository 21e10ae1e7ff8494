"""Threshold sweeps: the sweep file's validation, the multiple-testing corrections, one variant = one
replay, and the same numbers on local processes and on Ray."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from rotascope.backtest.multiple import correct, deflated_sharpe, expected_max_sharpe
from rotascope.backtest.replay import regime_signals, replay
from rotascope.backtest.sweep import SweepSpec, ladder_weights, load_sweep, prepare, run_sweep, run_variant
from rotascope.backtest.sweep_command import print_sweep
from rotascope.config import Settings
from rotascope.errors import ConfigError
from rotascope.monitor.engine import compute
from rotascope.monitor.run import Monitor

SMALL = """
[sweep]
start = "2018-01-01"
end = "2021-12-31"
oos_start = "2020-01-01"

[grid]
"ladder.relative_strength.min_rel_1m" = [0.0, 0.02]
killers.yield_spike_13w = [0.35]
"""


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ------------------------------------------------------------------------------------ the corrections
def test_deflated_sharpe_matches_the_published_example() -> None:
    # Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", numerical example: N = 100 trials,
    # V[SR] = 1/2 annualised, T = 1,250 daily returns, best SR 2.5 annualised, skew -3, kurtosis 10
    # -> SR0 ≈ 0.1132 and DSR ≈ 0.9004 (per-day units, 250 days a year)
    sr0 = expected_max_sharpe(100, 0.5 / 250)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    dsr = deflated_sharpe(2.5 / math.sqrt(250), 1250, 100, 0.5 / 250, -3.0, 10.0)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


def test_more_trials_deflate_more() -> None:
    values = [deflated_sharpe(0.1, 1250, n, 0.002, 0.0, 3.0) for n in (1, 10, 100, 1000)]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]
    assert expected_max_sharpe(1, 0.002) == 0.0


def test_noise_does_not_survive_but_a_real_edge_does() -> None:
    rng = np.random.default_rng(7)
    noise = rng.normal(0.0, 0.01, size=(2000, 20))
    c = correct(noise, [f"v{i}" for i in range(20)])
    assert not c.survives
    assert "does not survive" in c.verdict and f"p = {c.spa_pvalue:.3f}" in c.verdict
    edge = noise.copy()
    edge[:, 3] += 0.002  # Sharpe ~3 a year on one variant
    e = correct(edge, [f"v{i}" for i in range(20)])
    assert e.best == 3 and e.survives
    assert e.spa_pvalue is not None and e.spa_pvalue < 0.05
    assert e.deflated_sharpe is not None and e.deflated_sharpe >= 0.95
    assert "survives the correction for 20 variants" in e.verdict


def test_variants_never_in_the_market_cannot_beat_standing_aside() -> None:
    c = correct(np.zeros((500, 3)), ["a", "b", "c"])
    assert c.spa_pvalue == 1.0 and not c.survives and c.spa_models == 0


# ------------------------------------------------------------------------------------- the sweep file
def test_grid_and_files_make_every_combination(tmp_path: Path) -> None:
    write(tmp_path, "[killers]\nkre_downdraft_1m = -0.05\n", "tight.toml")
    path = write(
        tmp_path,
        '[sweep]\nfiles = ["tight.toml"]\ncost_bps = 2\n[grid.ladder.credit]\n'
        "max_hy_oas_percentile = [0.7, 0.8, 0.9]\n",
    )
    spec = load_sweep(path)
    assert len(spec.variants) == 3 and spec.cost_bps == 2.0
    assert [t.ladder.credit.max_hy_oas_percentile for t in spec.thresholds] == [0.7, 0.8, 0.9]
    assert all(t.killers.kre_downdraft_1m == -0.05 for t in spec.thresholds)
    assert spec.oos_start.isoformat() == "2006-01-01"  # the thresholds' calibration.evaluate_from
    assert len({v.thresholds_hash for v in spec.variants}) == 3


@pytest.mark.parametrize(
    ("grid", "words"),
    [
        (
            '"ladder.relative_strength.min_rel_1mm" = [0.01]',
            "did you mean ladder.relative_strength.min_rel_1m",
        ),
        ('"ladder.credit.max_hy_oas_percentile" = [0.8, 1.5]', "max_hy_oas_percentile = 1.5 is out of range"),
        ('"ladder.persistence.lookback" = [0]', "lookback = 0 is out of range"),
        ('"killers.kre_downdraft_1m" = [0.05]', "kre_downdraft_1m = 0.05 is out of range"),
        ('"ladder.persistence.lookback" = [21.5]', "takes int values"),
        ('"checklist.trend_days" = [5, 10]', "does not change the ladder strategy"),
        ('"killers.yield_spike_13w" = []', "non-empty list"),
        ('"killers.yield_spike_13w" = [0.5, 0.5]', "lists a value twice"),
    ],
)
def test_bad_sweep_files_are_one_sentence(tmp_path: Path, grid: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_sweep(write(tmp_path, f"[grid]\n{grid}\n"))
    text = str(info.value)
    assert words in text and "\n" not in text and text.endswith(".")


def test_a_sweep_varying_the_decision_models_bands_is_refused_like_every_command(tmp_path: Path) -> None:
    """The bands are read from the packaged file only: a variant's file changing one would have no effect
    (a grid key under agents is refused already)."""
    write(tmp_path, "[agents.model]\nstance_band = 0.3\n", "bands.toml")
    with pytest.raises(
        ConfigError, match=r"Sweep variant .*agents\.model: the decision model's bands are fixed"
    ):
        load_sweep(write(tmp_path, '[sweep]\nfiles = ["bands.toml"]\n'))


def test_unknown_sweep_keys_and_empty_sweeps_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown \\[sweep\\] key"):
        load_sweep(write(tmp_path, '[sweep]\nstrat = "x"\n[grid]\n"killers.yield_spike_4w" = [0.3]\n'))
    with pytest.raises(ConfigError, match="defines no variants"):
        load_sweep(write(tmp_path, "[sweep]\ncost_bps = 1\n"))


# ------------------------------------------------------------------------------------------- the runs
@pytest.fixture(scope="module")
def small(monitor: Monitor, tmp_path_factory: pytest.TempPathFactory) -> SweepSpec:
    return load_sweep(write(tmp_path_factory.mktemp("sweep"), SMALL))


def test_a_variant_is_the_replay_with_its_thresholds(monitor: Monitor, small: SweepSpec) -> None:
    shared = prepare(monitor, small)
    t = small.thresholds[1]
    rep = replay(replace(monitor, thresholds=t), shared.days)
    weeks = [regime_signals(replace(monitor, thresholds=t).at(d.astype(object))) for d in shared.days[:3]]
    weights = ladder_weights({k: np.array([w[k] for w in weeks]) for k in weeks[0]})
    assert weights.tolist() == (
        np.where(
            rep.signals.filter(like="killer_").iloc[:3].eq(1.0).any(axis=1),
            0.0,
            rep.signals["ladder_reached"].iloc[:3] / 5,
        ).tolist()
    )
    run = run_variant(shared, (small.variants[1], t))
    assert run.result.weeks == len(rep.signals)
    assert run.result.mean_level == pytest.approx(float(rep.signals["ladder_reached"].mean()), abs=1e-6)


def test_a_panel_key_variant_recomputes_the_panel(monitor: Monitor, tmp_path: Path) -> None:
    spec = load_sweep(
        write(tmp_path, SMALL.split("[grid]")[0] + '[grid]\n"ladder.persistence.lookback" = [42]\n')
    )
    t = spec.thresholds[0]
    via_base = run_variant(prepare(monitor, spec), (spec.variants[0], t))
    fresh = Monitor(compute(monitor.panel.data, t, monitor.panel.stale_after_days), t)
    direct = run_variant(prepare(fresh, spec), (spec.variants[0], t))
    assert via_base.result == direct.result
    assert np.array_equal(via_base.oos_returns, direct.oos_returns)
    # a second in-process sweep of the same panel setting over another window gets its own columns
    shorter = load_sweep(
        write(
            tmp_path,
            SMALL.split("[grid]")[0].replace("2021-12-31", "2020-12-31")
            + '[grid]\n"ladder.persistence.lookback" = [42]\n',
            "short.toml",
        )
    )
    short = prepare(monitor, shorter)
    again = run_variant(short, (shorter.variants[0], shorter.thresholds[0]))
    assert again.result.weeks == len(short.days) < via_base.result.weeks
    alone = run_variant(prepare(fresh, shorter), (shorter.variants[0], shorter.thresholds[0]))
    assert again.result == alone.result


def test_the_table_fits_80_columns_and_says_the_verdict(monitor: Monitor, small: SweepSpec) -> None:
    result = run_sweep(monitor, small, executor="local", workers=2)
    console = Console(width=80, record=True, soft_wrap=True, highlight=False, markup=False)
    print_sweep(result, console)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    assert " ".join(result.correction.verdict.split()) in " ".join(text.split())
    best = result.variants[result.correction.best]
    assert f"{best.variant.index}*" in text


def test_local_and_ray_give_identical_results(monitor: Monitor, small: SweepSpec) -> None:
    pytest.importorskip("ray", reason="ray is not installed (pip install 'rotascope[ray]')")
    shared = prepare(monitor, small)
    local = run_sweep(monitor, small, executor="local", workers=2, shared=shared)
    ray_run = run_sweep(monitor, small, executor="ray", workers=2, shared=shared)
    assert local.to_json() == ray_run.to_json()
    assert len(local.variants) == 2 and local.correction.n_variants == 2
    assert local.variants[0].out_of_sample.start is not None
    assert local.variants[0].out_of_sample.start >= "2020-01-01"


# -------------------------------------------------------------------------------------------- the CLI
@pytest.fixture(scope="module")
def app() -> typer.Typer:
    from rotascope.cli import app as cli_app

    return cli_app


def no_work(*args: object, **kwargs: object) -> None:
    raise AssertionError("the sweep did work before refusing its input")


def test_cli_refuses_a_bad_sweep_before_any_work(
    app: typer.Typer, loaded_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rotascope.backtest.sweep_command.build_monitor", no_work)
    path = write(tmp_path, '[grid]\n"ladder.credit.max_hy_oas_percentile" = [2.0]\n')
    res = CliRunner().invoke(
        app, ["backtest", "--sweep", str(path)], env={"ROTASCOPE_HOME": str(loaded_settings.home)}
    )
    assert res.exit_code == 1
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "out of range" in lines[0] and "Traceback" not in res.output


def test_cli_unreachable_ray_is_one_sentence(
    app: typer.Typer, loaded_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray", reason="ray is not installed (pip install 'rotascope[ray]')")
    monkeypatch.setattr("rotascope.backtest.sweep_command.build_monitor", no_work)
    path = write(tmp_path, SMALL)
    env = {"ROTASCOPE_HOME": str(loaded_settings.home), "ROTASCOPE_RAY_ADDRESS": "127.0.0.1:9"}
    res = CliRunner().invoke(app, ["backtest", "--sweep", str(path), "--executor", "ray"], env=env)
    assert res.exit_code == 1
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Cannot reach the Ray cluster at 127.0.0.1:9" in lines[0]


def test_cli_rejects_an_unknown_executor(app: typer.Typer, loaded_settings: Settings, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        ["backtest", "--sweep", str(write(tmp_path, SMALL)), "--executor", "dask"],
        env={"ROTASCOPE_HOME": str(loaded_settings.home)},
    )
    assert res.exit_code == 2 and "'local' or 'ray'" in res.output
