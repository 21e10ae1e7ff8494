"""`rotascope review`: the calibrated calls' out-of-sample record, printed (and written with ``--out``).

``register(app, extra)`` adds the command; ``extra`` builds the agents' weekly signals (injected, so this
module never imports the agents or ``rotascope.cli``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from rotascope.backtest.replay import replay_dates
from rotascope.calibration.cross import cross_calibration_of
from rotascope.calibration.features import ExtraFactory
from rotascope.calibration.member_review import member_review, member_review_lines, write_member_calls
from rotascope.calibration.outcomes import check_horizon
from rotascope.calibration.review import review, review_lines, write_review
from rotascope.calibration.service import calibrate, calibration_of
from rotascope.console import err, friendly_errors, out, settings_of
from rotascope.errors import DataError, RotascopeError
from rotascope.monitor.asof import parse_date, resolve_as_of
from rotascope.monitor.run import Monitor, build_monitor
from rotascope.store.db import reading
from rotascope.tablefit import wrapped


def write_calibration(monitor: object, out_dir: Path, extra: ExtraFactory | None) -> list[Path]:
    """Calibrate on ``monitor`` and write calls.csv and the review into ``out_dir``."""
    assert isinstance(monitor, Monitor)
    cal = calibration_of(monitor, extra)
    try:
        return write_review(cal, out_dir)
    except OSError as exc:
        raise RotascopeError(f"Cannot write the review to {out_dir}: {exc.strerror}.") from None


def register(app: typer.Typer, extra: ExtraFactory | None = None) -> None:
    @app.command("review")
    def review_cmd(
        ctx: typer.Context,
        out_dir: Annotated[
            Path | None, typer.Option("--out", help="Also write calls.csv, review.json/html and a PNG here.")
        ] = None,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of", help="Review as known at this date YYYY-MM-DD (default: the latest week)."
            ),
        ] = None,
        horizon: Annotated[
            int | None,
            typer.Option("--horizon", help="Review one calibrated horizon, in weeks (default: all)."),
        ] = None,
        members: Annotated[
            bool,
            typer.Option(
                "--members",
                help="The single names' cross-sectional record instead (with --out: member_calls.csv).",
            ),
        ] = False,
    ) -> None:
        """Review outcomes: Brier skill and log-loss of the calibrated calls vs the expanding climatology,
        reliability, and each signal's out-of-sample record ("no measured edge" where that is the truth)."""
        settings = settings_of(ctx)
        with friendly_errors():
            day = parse_date(as_of, "--as-of") if as_of is not None else None
            if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
                raise RotascopeError(f"Cannot write the review to {out_dir}: it is a file, not a folder.")
            with reading(settings) as store:
                monitor = build_monitor(store, settings)
            if day is not None:  # outside the calibrated weeks: one sentence, before the work
                resolve_as_of(monitor.panel.calendar, day)
                weeks = replay_dates(monitor)
                if not len(weeks) or np.datetime64(day, "D") < weeks[0]:
                    first = f"; the first is {weeks[0]}" if len(weeks) else ""
                    raise DataError(f"No calibrated week on or before {day}{first}.")
            if members:
                _members(monitor, day, out_dir)
                return
            rules = monitor.thresholds.calibration
            wanted = rules.horizons if horizon is None else (check_horizon(horizon, rules.horizons),)
            with err.status("Calibrating week by week", spinner="dots"):
                cal = calibrate(monitor, extra, monitor.cache_dir, horizons=wanted)
            upto = cal.week(day) if day is not None else None
            rev = review(cal, upto)
            written: list[Path] = []
            if out_dir is not None:
                try:
                    written = write_review(cal, out_dir, upto)
                except OSError as exc:
                    raise RotascopeError(f"Cannot write the review to {out_dir}: {exc.strerror}.") from None
        for line in wrapped(review_lines(rev), out.width):
            out.print(line, markup=False, highlight=False)
        for path in written:
            out.print(f"Wrote {path}")


def _members(monitor: Monitor, day: date | None, out_dir: Path | None) -> None:
    """`review --members`: the cross-sectional record known at ``day``; ``out_dir`` gets member_calls.csv."""
    with err.status("Calibrating every member week by week", spinner="dots"):
        cc = cross_calibration_of(monitor)
    upto = None
    if day is not None:
        upto = cc.week(np.datetime64(day, "D"))
        if upto < 0:
            raise DataError(f"No calibrated member week on or before {day}; the first is {cc.asof[0]}.")
    rev = member_review(cc, upto)
    written: Path | None = None
    if out_dir is not None:
        try:
            written = write_member_calls(cc, out_dir, upto)
        except OSError as exc:
            raise RotascopeError(f"Cannot write the review to {out_dir}: {exc.strerror}.") from None
    for line in wrapped(member_review_lines(rev), out.width):
        out.print(line, markup=False, highlight=False)
    if written is not None:
        out.print(f"Wrote {written}")
