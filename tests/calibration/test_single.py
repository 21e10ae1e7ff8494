"""Single-name base rates (issue #11): the universe's outcome definitions on the subject's own history."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

from rotascope.calibration.prior import size_prior
from rotascope.calibration.service import calibrate, call_at
from rotascope.calibration.single import MIN_BASE_RATE_WEEKS, single_name_rates
from rotascope.config import Settings
from rotascope.monitor.data import align
from rotascope.monitor.run import Monitor
from rotascope.records import BaseRates, rnd
from rotascope.store.db import open_store


def single_name_base_rates(*args: Any) -> BaseRates:
    """The base rates alone (what the debate shows beside each scenario)."""
    return single_name_rates(*args)[0]


def close_of(monitor: Monitor, settings: Settings, symbol: str) -> np.ndarray:
    store = open_store(settings)
    try:
        return np.asarray(align(store.close_panel([symbol]), monitor.panel.calendar).column(symbol))
    finally:
        store.close()


def test_iwm_vs_spy_equals_the_universe_climatology(monitor: Monitor) -> None:
    """IWM debated against SPY has the universe calibration's base rates (with the size prior), band and
    labelled weeks; without the prior, the plain expanding climatology the universe's skill is scored on."""
    etf = monitor.panel.data.etf
    rules = monitor.thresholds.calibration
    cal = calibrate(monitor, horizons=(13,))
    prior = size_prior(13, rules.band_k, rules.band_window)
    off = rules.model_copy(update={"size_prior": False})
    for day in (date(2012, 6, 29), date(2024, 7, 19)):
        got = single_name_base_rates(
            monitor.panel.calendar, etf.column("IWM"), etf.column("SPY"), day, "IWM", "SPY", rules
        )
        want = call_at(cal, day, 13)
        assert got.base_rates == want.base_rates
        assert got.band == want.band and got.labelled_weeks == want.labelled_weeks
        assert got.note.startswith("No calibrated model for single names; these are base rates")
        assert prior.text() in got.note
        plain = single_name_base_rates(
            monitor.panel.calendar, etf.column("IWM"), etf.column("SPY"), day, "IWM", "SPY", off
        )
        expanding = cal.runs[13].expanding[cal.week(day)]
        assert plain.base_rates == [rnd(float(v)) for v in expanding]
        assert "size factor" not in plain.note


def test_a_member_uses_only_what_is_known_at_the_as_of(monitor: Monitor, loaded_settings: Settings) -> None:
    """KRT vs IWM: the same rates when every close after the as-of is removed (or scrambled)."""
    krt = close_of(monitor, loaded_settings, "KRT")
    iwm = monitor.panel.data.etf.column("IWM")
    rules = monitor.thresholds.calibration
    day = date(2024, 7, 19)
    row = int(np.searchsorted(monitor.panel.calendar, np.datetime64(day, "D"), side="right"))
    full = single_name_base_rates(monitor.panel.calendar, krt, iwm, day, "KRT", "IWM", rules)
    later = krt.copy()
    later[row:] = later[row:] * 3.0  # the future changes: nothing known at the as-of may move
    cut = single_name_base_rates(monitor.panel.calendar, later, iwm, day, "KRT", "IWM", rules)
    assert full == cut
    assert full.base_rates is not None and full.labelled_weeks >= MIN_BASE_RATE_WEEKS
    assert sum(full.base_rates) == pytest.approx(1.0, abs=1e-5)
    assert full.first_labelled is not None and full.first_labelled >= date(2021, 1, 1)  # KRT listed 2021
    assert full.outcomes[2] == f"KRT beats IWM by more than {full.band:.1%} over the next 13 weeks"


@pytest.mark.parametrize(
    ("symbol", "bench", "day"), [("AHR", "IWM", date(2025, 6, 27)), ("KRE", "SPY", date(2007, 9, 28))]
)
def test_too_little_history_says_so(
    monitor: Monitor, loaded_settings: Settings, symbol: str, bench: str, day: date
) -> None:
    """A member listed in 2024 and KRE in its first year: fewer than 52 known outcomes; the base rates are
    still what is shown (never the evidence score), with the sentence that says how few they count."""
    close = close_of(monitor, loaded_settings, symbol)
    got = single_name_base_rates(
        monitor.panel.calendar, close, monitor.panel.data.etf.column(bench), day, symbol, bench,
        monitor.thresholds.calibration,
    )  # fmt: skip
    assert got.base_rates is not None and 0 < got.labelled_weeks < MIN_BASE_RATE_WEEKS
    assert sum(got.base_rates) == pytest.approx(1.0, abs=1e-5)
    assert got.note.startswith(
        f"No calibrated call: {got.labelled_weeks} labelled 13-week outcomes of {symbol} vs {bench} known by"
    )
    assert f"fewer than the {MIN_BASE_RATE_WEEKS} a call needs; showing base rates" in got.note
    _, call = single_name_rates(
        monitor.panel.calendar, close, monitor.panel.data.etf.column(bench), day, symbol, bench,
        monitor.thresholds.calibration,
    )  # fmt: skip
    assert call is not None and call.method == "base rates" and call.model_weight == 0
    assert call.probabilities == call.base_rates == got.base_rates and call.no_measured_edge
