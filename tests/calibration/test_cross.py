"""Cross-sectional calibration of single names (issue 23): kernels against independent computations, no
look-ahead in the pooled walk-forward, and the record on the real embedded data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from rotascope.agents.decision import calibrated_probabilities
from rotascope.agents.members import MemberInputs, debate_members
from rotascope.analysis.service import Analyst
from rotascope.calibration.cross import (
    CrossLabels,
    cross_calibration_of,
    cross_labels,
    cross_rank,
    mean_at,
    run_horizon,
    vol_at,
)
from rotascope.calibration.member_review import member_review, member_review_lines, write_member_calls
from rotascope.calibration.name_call import name_call, pooled_base_rates
from rotascope.calibration.outcomes import BASE, BEAR, BULL
from rotascope.config import Settings
from rotascope.indicators.kernels import sma
from rotascope.indicators.volatility import realized_vol
from rotascope.monitor.run import Monitor
from rotascope.store.db import Store


def test_window_kernels_match_the_indicator_kernels() -> None:
    rng = np.random.default_rng(3)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, size=(700, 40)), axis=0))
    close[rng.random(close.shape) < 0.01] = np.nan
    rows = np.arange(0, 700, 5)
    assert np.allclose(mean_at(close, rows, 50), sma(close, 50)[rows], equal_nan=True, rtol=1e-10)
    assert np.allclose(vol_at(close, rows, 63), realized_vol(close, 63)[rows], equal_nan=True, rtol=1e-7)


def test_cross_rank_is_the_centred_percentile() -> None:
    x = np.array([[3.0, 1.0, np.nan, 2.0], [np.nan, np.nan, 5.0, np.nan]])
    r = cross_rank(x)
    assert np.allclose(r[0, [1, 3, 0]], np.array([-1.0, 0.0, 1.0]) / 3 * np.sqrt(12))
    assert np.isnan(r[0, 2]) and r[1, 2] == 0.0


def test_labels_are_against_the_median_listed_member() -> None:
    close = np.array([[10.0, 10.0, 10.0, 10.0], [12.0, 10.0, 9.0, 20.0]])
    listed = np.array([[True, True, True, False], [True, True, True, False]])
    vol = np.full((2, 4), 0.2)
    got = cross_labels(close, listed, vol, 1, 0.5)
    # forward returns +20 %, 0, -10 %, +100 %; median of the listed three is 0; band 0.5 x 0.2 x sqrt(1/52)
    assert np.allclose(got.rel[0], [0.2, 0.0, -0.1, 1.0])
    assert list(got.cls[0]) == [BULL, BASE, BEAR, BULL]
    assert np.isnan(got.cls[1]).all()


def test_the_walk_forward_never_reads_an_unknown_label(monitor: Monitor) -> None:
    """Scrambling every label not yet known at week i leaves every call up to week i unchanged."""
    rng = np.random.default_rng(5)
    w, n, h = 260, 60, 4
    x = rng.normal(size=(3, w, n))
    rel = x[0] * 0.05 + rng.normal(0, 0.1, size=(w, n))
    band = np.full((w, n), 0.05)
    cls = np.where(rel > band, BULL, np.where(rel < -band, BEAR, BASE)).astype(np.float64)
    cls[-h:] = np.nan
    asof = np.datetime64("2010-01-01") + np.arange(w) * 7
    rules = monitor.thresholds.calibration.model_copy(
        update={"members_refit_weeks": 13, "members_min_weeks": 20, "members_min_oos_weeks": 20}
    )
    listed = np.ones((w, n), dtype=bool)
    full = run_horizon(x, CrossLabels(h, rel, band, cls), listed, asof, rules)
    assert (full.weight > 0).any()  # the evidence is real here: the model earns weight
    i = 150
    later = cls.copy()
    later[i - h + 1 :] = rng.integers(0, 3, size=later[i - h + 1 :].shape)  # not known at week i
    cut = run_horizon(x, CrossLabels(h, rel, band, later), listed, asof, rules)
    assert np.array_equal(full.prob[: i + 1], cut.prob[: i + 1])
    assert np.array_equal(full.weight[: i + 1], cut.weight[: i + 1])


@pytest.fixture
def analyst(store: Store, loaded_settings: Settings, monitor: Monitor) -> Analyst:
    return Analyst(store, loaded_settings, monitor)


def test_single_names_no_longer_share_one_vector(analyst: Analyst) -> None:
    """Proof: single-name debates at one date (SAIA, KRE, BE, CALM, and AMR) do not share one probability
    vector, and each shows its base rates, their record and the out-of-sample skill of what is shown."""
    day = date(2024, 7, 19)
    seen = {}
    # SAIA was off the Russell 2000 list in force then: debated vs SPY on its own base rates, like KRE
    for symbol in ("SAIA", "AMR", "KRE", "BE", "CALM"):
        got = analyst.single(symbol, analyst.session(day))
        cal = got.decision.calibration
        assert cal is not None
        assert [s.base_rate for s in got.decision.scenarios] == [cal.base_rates[k] for k in (2, 1, 0)]
        assert all(s.track_record is not None and s.track_record.n > 0 for s in got.decision.scenarios)
        assert cal.brier_skill_oos is not None and cal.n_oos > 0
        seen[symbol] = tuple(s.probability for s in got.decision.scenarios)
        # one expected relative return everywhere: sum of p_i x m_i (calibration.call)
        e = sum(p * m for p, m in zip(cal.probabilities, cal.class_means, strict=True))
        assert cal.expected_relative_return == pytest.approx(e, abs=5e-6)
        if symbol in ("KRE", "SAIA"):  # own base rates vs SPY, and the desk stands aside saying why
            assert cal.method == "base rates" and got.decision.mode == "stand aside"
            assert "too few to fit a model" in cal.note and "no measurable edge" in cal.note
            assert got.decision.base_rates is not None and got.decision.base_rates.benchmark == "SPY"
        else:  # a member's m is against the cross-section's mean: the base rates expect 0
            assert cal.n_oos > 100_000
            at_base = sum(b * m for b, m in zip(cal.base_rates, cal.class_means, strict=True))
            assert at_base == pytest.approx(0.0, abs=5e-6)
    assert len(set(seen.values())) == 5


@pytest.mark.parametrize(("symbol", "day"), [("KRE", date(2007, 9, 28))])
def test_too_few_labelled_weeks_show_base_rates_never_the_evidence_score(
    analyst: Analyst, symbol: str, day: date
) -> None:
    """A regime ETF or a name with fewer than 52 labelled weeks: the probabilities are its base rates,
    the note says how few outcomes they count, and the desk stands aside (no evidence-score fallback)."""
    got = analyst.single(symbol, analyst.session(day))
    d = got.decision
    cal = d.calibration
    assert cal is not None and cal.method == "base rates" and cal.model_weight == 0
    assert cal.labelled_weeks < 52
    assert cal.note.startswith(f"No calibrated call: {cal.labelled_weeks} labelled 13-week outcomes of")
    assert "fewer than the 52 a call needs; showing base rates" in cal.note
    assert [s.probability for s in d.scenarios] == list(calibrated_probabilities(cal))
    assert cal.probabilities == cal.base_rates
    assert d.direction == "none" and d.mode == "stand aside" and d.tilt == 0
    assert d.base_rates is not None and d.base_rates.base_rates == cal.base_rates


def test_the_ranking_ranks(analyst: Analyst) -> None:
    """Three dates: ranked by expected relative return then consensus; no adjacent tie of the top or
    bottom five is broken by the symbol alone; the top and bottom five differ."""
    for day in (date(2024, 7, 19), date(2020, 3, 20), date(2016, 12, 9)):
        ranked = analyst.members(analyst.session(day))
        calls = ranked.calls
        keys = [
            (c.expected_relative_return or 0.0, c.consensus, c.evidence, *c.scores.values()) for c in calls
        ]
        assert keys == sorted(keys, key=lambda k: tuple(-v for v in k))
        ends = calls[:5] + calls[-5:]
        for a, b in zip(calls[:5] + calls[-6:-1], calls[1:6] + calls[-5:], strict=True):
            assert (a.expected_relative_return, a.consensus, a.evidence, a.scores) != (
                b.expected_relative_return,
                b.consensus,
                b.evidence,
                b.scores,
            ), (day, a.symbol, b.symbol)
        assert {c.symbol for c in calls[:5]}.isdisjoint({c.symbol for c in calls[-5:]})
        assert all(c.base_rates is not None for c in ends)
        # no probability comes from the evidence score: a calibrated call, or the member base rates
        for c in calls:
            assert c.base_rates is not None and c.model_weight is not None, c.symbol
            if c.note:
                assert c.note.startswith("no calibrated call") and c.tilt == "none"
                assert (c.bear, c.bull) == (round(c.base_rates[0], 2), round(c.base_rates[2], 2))


def test_the_record_meets_its_targets(monitor: Monitor, tmp_path: Path) -> None:
    cc = cross_calibration_of(monitor)
    rev = member_review(cc)
    overall = {s.horizon_weeks: s for s in rev.scores if s.period.endswith(" on")}
    for h in (4, 13):
        assert overall[h].brier_skill is not None and overall[h].brier_skill >= -0.005
    assert all(s.brier_skill is None or s.brier_skill >= -0.03 for s in rev.scores if s.n)
    for b in rev.reliability:
        if b.n >= 100 and b.mean_forecast is not None and b.realised is not None:
            assert abs(b.realised - b.mean_forecast) <= 0.05, b
    assert len(rev.survivorship) == 2
    # the weight the evidence earned is stated with its size and SPA significance, or said to be none
    text = "\n".join(member_review_lines(rev))
    for sp in rev.spa:
        if sp.weeks_with_weight:
            assert sp.p_value is not None and 0 <= sp.p_value <= 1
            assert (
                f"{sp.horizon_weeks:>2} weeks: the evidence earned a weight in {sp.weeks_with_weight} weeks "
                f"(latest {sp.weight_latest:.2f}); Hansen's SPA p = {sp.p_value:.3f}"
            ) in text
        else:
            assert f"{sp.horizon_weeks:>2} weeks: the evidence never earned a weight" in text
    path = write_member_calls(cc, tmp_path, cc.week(np.datetime64("2010-12-31")))
    frame = pd.read_csv(path)
    assert list(frame.columns) == [
        "as_of",
        "symbol",
        "horizon_weeks",
        "p_bull",
        "p_base",
        "p_bear",
        "band",
        "benchmark",
    ]
    assert frame["as_of"].max() <= "2010-12-31" and set(frame["horizon_weeks"]) == {4, 13}
    assert np.allclose(frame[["p_bull", "p_base", "p_bear"]].sum(axis=1), 1.0, atol=1e-5)
    rows = duckdb.sql(f"SELECT count(*) FROM read_csv('{path}')").fetchall()
    assert rows[0][0] == len(frame)


def test_a_member_without_a_call_shows_the_member_base_rates(monitor: Monitor) -> None:
    """`debate --all`: a member the cross-section has no call for shows the pooled member base rates, says
    why in its note, expects 0 and stands aside; the evidence score only breaks ties."""
    day = date(2024, 7, 19)
    cc = cross_calibration_of(monitor)
    members = monitor.panel.data.members
    symbols = tuple(members.symbols[:6])
    close = members.float64()[:, :6]
    calls = {s: c for s in symbols[:3] if (c := name_call(cc, s, day)) is not None}
    pooled = pooled_base_rates(cc, day)
    assert pooled is not None and pooled[1] > 100_000
    inputs = MemberInputs(symbols, (None,) * 6, close, calibrated=calls, pooled=pooled)
    ranked = debate_members(monitor, monitor.at(day), inputs)
    without = [c for c in ranked.calls if c.symbol not in calls]
    assert without, "some debated member must lack a call for this test to mean anything"
    for c in without:
        bear, _, bull = pooled[0]
        assert (c.bull, c.bear) == (round(bull, 2), round(bear, 2)) and c.base_rates == pooled[0]
        assert c.tilt == "none" and c.expected_relative_return == 0.0 and c.model_weight == 0.0
        assert c.note.startswith("no calibrated call: no outcome band") and f"{pooled[1]:,}" in c.note
    for c in ranked.calls:
        if c.symbol in calls:
            assert c.note == "" and c.base_rates == calls[c.symbol].base_rates
    no_rates = debate_members(
        monitor, monitor.at(day), MemberInputs(symbols, (None,) * 6, close, calibrated=calls)
    )
    assert {c.symbol for c in no_rates.calls} == set(calls) & {c.symbol for c in ranked.calls}
