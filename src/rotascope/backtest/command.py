"""`rotascope backtest`: the weekly replay, signal attribution and strategies, from the command line.

``register(app)`` adds the command to a Typer app; ``extra`` injects the agents' weekly signals (from
:mod:`rotascope.analysis.replay`), so the backtest never imports the agents itself.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from rotascope.backtest.report import (
    BOTH_HEAD,
    FLIP_HEAD,
    MEMBERSHIP_HEAD,
    SIGNAL_HEAD,
    STRATEGY_HEAD,
    BacktestParams,
    both_rows,
    flip_rows,
    membership_rows,
    run_backtest,
    signal_rows,
    strategy_rows,
    write_outputs,
)
from rotascope.backtest.store import save_backtest
from rotascope.console import check_format, err, friendly_errors, in_range, out, settings_of
from rotascope.errors import DataError, RotascopeError
from rotascope.fundamentals.valuation import spread_history
from rotascope.interrupts import Interrupted, is_interrupt
from rotascope.monitor.asof import parse_date
from rotascope.monitor.run import build_monitor
from rotascope.store.db import reading
from rotascope.tablefit import show_table

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from rotascope.backtest.replay import Extra
    from rotascope.backtest.report import BacktestRun
    from rotascope.backtest.result import BacktestResult
    from rotascope.config import Settings
    from rotascope.monitor.run import Monitor

DEFAULT_HORIZONS = "1,4,13"
ExtraFactory = Callable[["Monitor"], "Extra | None"]
"""Builds the per-week extra-signals callable (e.g. the agents' ``analyze``) for a monitor."""
TiltFactory = Callable[["Monitor"], "pd.Series"]
"""Builds the decision-tilt weight per weekly as-of (e.g. the calibrated tilt) for a monitor."""


MAX_HORIZON_WEEKS = 520
"""Ten years: the longest forward horizon a weekly replay since 2000 can still score."""


def parse_horizons(text: str) -> list[int]:
    """``"1,4,13"`` → ``[1, 4, 13]`` (sorted, unique, each >= 1 week), or one clear error."""
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise DataError(
            f"--horizons must be whole weeks separated by commas, like 1,4,13; got {text!r}."
        ) from None
    if not values or values[0] < 1 or values[-1] > MAX_HORIZON_WEEKS:
        raise DataError(
            f"--horizons must be whole weeks from 1 to {MAX_HORIZON_WEEKS}, like 1,4,13; got {text!r}."
        )
    return values


def register(
    app: typer.Typer,
    extra: ExtraFactory | None = None,
    tilt: str | TiltFactory | None = None,
    tilt_label: str | None = None,
) -> None:
    """Add ``backtest`` to ``app``. ``extra`` injects per-week signals; ``tilt`` names the signal column
    used as the decision-tilt weight or builds the weights (``tilt_label`` says what they are); strategy 3
    is left out without it."""

    @app.command("backtest")
    def backtest(
        ctx: typer.Context,
        start: Annotated[
            str | None, typer.Option(help="First as-of YYYY-MM-DD (default: IWM's start).")
        ] = None,
        end: Annotated[str | None, typer.Option(help="Last as-of YYYY-MM-DD (default: latest week).")] = None,
        horizons: Annotated[
            str, typer.Option(help="Forward horizons in weeks, comma-separated.")
        ] = DEFAULT_HORIZONS,
        cost_bps: Annotated[
            float,
            typer.Option(
                "--cost-bps",
                help="Cost in bps per unit of turnover on each leg (0-1000).",
                callback=in_range(0, 1000, "bps"),
            ),
        ] = 5.0,
        stop: Annotated[float, typer.Option(help="Drawdown stop of the decision tilt (fraction).")] = 0.10,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
        out_dir: Annotated[
            Path | None, typer.Option("--out", help="Write JSON, CSV, PNG charts and an HTML page here.")
        ] = None,
        sweep: Annotated[
            Path | None,
            typer.Option(
                "--sweep",
                help="Sweep file (TOML): a grid of thresholds / thresholds files, each variant a full "
                "replay, the best judged after SPA and deflated-Sharpe corrections (docs/sweeps.md).",
            ),
        ] = None,
        executor: Annotated[
            str, typer.Option("--executor", help="Where sweep variants run: local (processes) or ray.")
        ] = "local",
    ) -> None:
        """Weekly point-in-time replay of the monitor and the regime since 2000: which signals preceded
        small caps beating SPY, and how simple IWM/SPY strategies did against buy-and-hold."""
        check_format(fmt)
        settings = settings_of(ctx)
        if executor not in ("local", "ray"):
            raise typer.BadParameter(f"must be 'local' or 'ray', got {executor!r}", param_hint="--executor")
        if sweep is not None:
            if start or end or out_dir:
                raise typer.BadParameter(
                    "--start, --end and --out do not apply to a sweep; set start/end in its [sweep] table",
                    param_hint="--sweep",
                )
            # deferred: the sweep machinery (~1 s of imports) loads only for --sweep
            from rotascope.backtest.sweep_command import run_sweep_command

            run_sweep_command(settings, sweep, "ray" if executor == "ray" else "local", fmt)
            return
        with friendly_errors():
            label = tilt if isinstance(tilt, str) else tilt_label
            params = _params(start, end, horizons, cost_bps, stop, label)
            run, written, rid = _replay(settings, params, extra, tilt, out_dir)
        _show(fmt, run, written, rid)


def _params(
    start: str | None, end: str | None, horizons: str, cost_bps: float, stop: float, label: str | None
) -> BacktestParams:
    """The replay's parameters from the options; a bad one is one clear sentence."""
    first = parse_date(start, "--start") if start is not None else None
    last = parse_date(end, "--end") if end is not None else None
    if first and last and first > last:
        raise DataError(f"--start {first} is after --end {last}.")
    if not math.isfinite(cost_bps) or cost_bps < 0:
        raise DataError(f"--cost-bps must be a finite number >= 0, got {cost_bps:g}.")
    if not 0 < stop < 1:
        raise DataError(f"--stop must be a fraction between 0 and 1, like 0.1; got {stop:g}.")
    params_h = parse_horizons(horizons)
    return BacktestParams(start=first, end=last, horizons=params_h, cost_bps=cost_bps, stop=stop, tilt=label)


def _replay(
    settings: Settings,
    params: BacktestParams,
    extra: ExtraFactory | None,
    tilt: str | TiltFactory | None,
    out_dir: Path | None,
) -> tuple[BacktestRun, list[Path], str]:
    """Replay, write the --out files, store the result: the run, the files written and the stored id."""
    with reading(settings) as store:
        monitor = build_monitor(store, settings)
        valuation = spread_history(store)
    extra_fn = extra(monitor) if extra is not None else None
    with err.status("Replaying the monitor week by week", spinner="dots"):
        weights = tilt if isinstance(tilt, str) or tilt is None else tilt(monitor)
        run = run_backtest(monitor, params, extra_fn, weights, valuation)
    written: list[Path] = []
    if out_dir is not None:
        try:
            written = write_outputs(run, out_dir)
        except OSError as exc:
            raise RotascopeError(f"Cannot write the report to {out_dir}: {exc.strerror}.") from None
        # calibrated calls (issue #11): calls.csv, review.json/html, reliability.png
        # deferred: the calibrator (scikit-learn, ~2 s) loads only when --out writes the calls
        from rotascope.calibration.command import write_calibration

        written += write_calibration(monitor, out_dir, extra)
    return run, written, save_backtest(settings, run.result)


def _show(fmt: str, run: BacktestRun, written: list[Path], rid: str) -> None:
    """Print the stored run (JSON or tables); a signal while printing says the run was kept."""
    try:
        if fmt == "json":
            sys.stdout.write(run.result.to_json())
            err.print(f"Stored as backtest {rid}.")
            return
        _print_tables(run.result, out)
        for path in written:
            out.print(f"Wrote {path}")
        out.print(f"Stored as backtest {rid} (table backtests). Replay took {run.replay.elapsed_s:.1f} s.")
    except BaseException as exc:  # a signal while printing: the run is stored already, so say it was kept
        if is_interrupt(exc):
            raise Interrupted(f"Interrupted; kept backtest {rid}, stored before the signal.") from None
        raise


def _print_tables(result: BacktestResult, console: Console) -> None:
    """Strategies vs benchmarks, then signals sorted by information, then the caveats."""
    r = result
    table = Table(
        box=box.SIMPLE_HEAD,
        title=f"Strategies vs buy-and-hold, {r.start} to {r.end} ({r.weeks:,} weekly decisions, "
        f"{r.params.cost_bps:g} bps per unit of turnover per leg"
        + (f"; positions closed {r.last_day}" if r.last_day else "")
        + ")",
    )
    for i, col in enumerate(STRATEGY_HEAD):
        table.add_column(col, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in strategy_rows([*r.strategies, *r.benchmarks]):
        table.add_row(*row)
    show_table(console, table)
    a = r.attribution
    sig = Table(
        box=box.SIMPLE_HEAD,
        title=f"Signals vs forward IWM-minus-SPY return, sorted by information (mean |IC|); {a.fired_rule}; "
        f"CI {a.confidence:.0%} moving-block bootstrap; * = survivorship bias",
    )
    for i, col in enumerate(SIGNAL_HEAD):
        sig.add_column(col, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in signal_rows(a):
        sig.add_row(*row)
    show_table(console, sig)
    _print_membership(r, console)
    for caveat in r.caveats:
        console.print(f"Caveat: {caveat}")
    console.print(r.disclaimer)


def _print_membership(result: BacktestResult, console: Console) -> None:
    """Weeks on dated lists per universe, the signals that change on today's members, strategies both ways."""
    m = result.membership
    if m is None:
        return
    for title, head, rows in (
        ("Breadth membership per universe (weekly as-of dates)", MEMBERSHIP_HEAD, membership_rows(m)),
        (f"Regime signals that change on today's members, {m.start} to {m.end}", FLIP_HEAD, flip_rows(m)),
        (f"Strategies on dated lists vs today's members, {m.start} to {m.end}", BOTH_HEAD, both_rows(m)),
    ):
        if not rows:
            continue
        table = Table(box=box.SIMPLE_HEAD, title=title)
        for i, col in enumerate(head):
            table.add_column(col, justify="left" if i == 0 or col == "changed weeks" else "right")
        for row in rows:
            table.add_row(*row)
        show_table(console, table)
    console.print(f"{m.summary} {m.scope}")
