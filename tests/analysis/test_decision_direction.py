"""The decision's direction, stance sentence, mode and tilt agree over the whole weekly replay, with the
calibrated call and without it (the base rates: the desk stands aside every week, issue #23): the words
never contradict the tilt's sign."""

from __future__ import annotations

from datetime import date

import pytest

from rotascope.agents.run import universe_analysis
from rotascope.analysis.replay import replay_extra
from rotascope.backtest.replay import replay_dates
from rotascope.calibration.service import calibrated_call
from rotascope.errors import DataError
from rotascope.executor import parallel_map
from rotascope.monitor.run import Monitor
from rotascope.records import Decision

OPENING = {"toward": "tilt toward small caps", "away": "tilt away from small caps", "none": "no tilt: "}


def check(d: Decision) -> None:
    """The stance opens with its direction's words only; the tilt's sign and the mode follow it."""
    where = (d.as_of, d.direction, d.stance, d.mode, d.tilt)
    assert d.stance.startswith(OPENING[d.direction]), where
    assert not any(d.stance.startswith(w) for k, w in OPENING.items() if k != d.direction), where
    if d.direction == "toward":
        assert d.tilt >= 0 and d.mode in ("allocate", "trade"), where
    elif d.direction == "away":
        assert d.tilt <= 0 and d.mode == "trade", where
    else:
        assert d.tilt == 0 and d.mode == "stand aside", where


def _decisions(monitor: Monitor, day: date) -> tuple[Decision | None, Decision | None]:
    try:
        plain: Decision | None = universe_analysis(monitor, monitor.at(day), "test", full_risk=False).decision
    except DataError:  # IWM's first weeks: no 63-day band, so no outcome and no base rates
        plain = None
    cal = calibrated_call(monitor, day, replay_extra)  # memoised in the parent before the workers fork
    calibrated = (
        universe_analysis(monitor, monitor.at(day), "test", full_risk=False, calibration=cal) if cal else None
    )
    return plain, calibrated.decision if calibrated else None


@pytest.mark.slow
def test_stance_never_contradicts_direction_or_tilt_over_the_whole_replay(monitor: Monitor) -> None:
    days = [d.astype(date) for d in replay_dates(monitor)]
    assert len(days) > 1000
    calibrated_call(monitor, days[-1], replay_extra)  # build the calibration once, before forking
    seen: dict[str, set[str]] = {"base rates": set(), "calibrated": set()}
    n_calibrated = 0
    no_band = 0
    for plain, calibrated in parallel_map(lambda d: _decisions(monitor, d), days):
        if plain is None:
            no_band += 1
            assert calibrated is None
            continue
        check(plain)
        seen["base rates"].add(plain.direction)
        assert plain.calibration is not None and plain.calibration.method == "base rates", plain.as_of
        if calibrated is not None:
            check(calibrated)
            seen["calibrated"].add(calibrated.direction)
            n_calibrated += 1
    assert seen["base rates"] == {"none"}, "no calibrated call: the evidence score never tilts the desk"
    assert n_calibrated > 1000 and "none" in seen["calibrated"]
    assert no_band <= 14  # the 63 trading days before IWM's first band
