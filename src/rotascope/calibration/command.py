"""`rotascope review`: the calibrated calls' out-of-sample record, printed (and written with ``--out``).

``register(app, extra)`` adds the command; ``extra`` builds the agents' weekly signals (injected, so this
module never imports the agents or ``rotascope.cli``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rotascope.calibration.features import ExtraFactory
from rotascope.errors import RotascopeError


def write_calibration(monitor: object, out_dir: Path, extra: ExtraFactory | None) -> list[Path]:
    """Calibrate on ``monitor`` and write calls.csv and the review into ``out_dir``."""
    from rotascope.calibration.review import write_review
    from rotascope.calibration.service import calibration_of
    from rotascope.monitor.run import Monitor

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
    ) -> None:
        """Review outcomes: Brier skill and log-loss of the calibrated calls vs the base rates, reliability,
        and each signal's out-of-sample record ("no measured edge" where that is the truth)."""
        from rotascope.calibration.review import review, review_lines
        from rotascope.calibration.service import calibrate
        from rotascope.console import err, friendly_errors, out, settings_of
        from rotascope.monitor.run import build_monitor
        from rotascope.store.db import reading

        settings = settings_of(ctx)
        with friendly_errors():
            with reading(settings) as store:
                monitor = build_monitor(store, settings)
            with err.status("Calibrating week by week", spinner="dots"):
                cal = calibrate(monitor, extra, monitor.cache_dir)
            written = write_calibration(monitor, out_dir, extra) if out_dir is not None else []
        for line in review_lines(review(cal)):
            out.print(line, markup=False, highlight=False)
        for path in written:
            out.print(f"Wrote {path}")
