"""Threshold sweeps: many settings of the evidence ladder, each a full point-in-time replay, judged honestly.

A sweep file (TOML, see docs/sweeps.md) names a grid of thresholds keys with lists of values and/or a
list of thresholds files; every combination is a *variant*: the base thresholds (the ``thresholds``
setting, else the packaged file) with the variant's values on top. ``load_sweep`` validates every
variant before any work (an unknown key or an out-of-range value is one sentence).

Each variant replays the regime rules at every weekly as-of (the rules' columns of the panel, judged
under its thresholds for all weeks in one call of the rule engine, as the backtest's replay does) and
trades the *ladder strategy*: long IWM / short SPY with weight
(ladder level reached) / 5, flat while any rotation killer fires, decided at the weekly close and filled
at the next day's close (``strategies.simulate``, costs per leg), inside the sweep's window like the main
backtest: no price after the window's last trading day (``[sweep] end``) is read, and a position open then
is closed at its close with its cost. Its daily returns from ``oos_start`` on are the variant's
out-of-sample record; the best variant is then corrected for the number of variants
tried (``multiple.correct``: Hansen's SPA and the deflated Sharpe ratio).

The columns do not depend on thresholds except through the panel's stress-episode measures (ladder
level 5's ``lookback``, ``min_vix_jump``, ``min_spy_drawdown``); variants that change those recompute
the panel, the others share the base panel's columns. Variants run through ``executor.run_tasks``
(local processes or Ray) and give the same numbers either way.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError

from rotascope.backtest.calendar import window_end
from rotascope.backtest.multiple import Correction, correct
from rotascope.backtest.replay import replay_dates, weekly_rows
from rotascope.backtest.strategies import leg_prices, pair_targets, simulate
from rotascope.errors import ConfigError, DataError
from rotascope.executor import ExecutorName, run_tasks
from rotascope.monitor.columns import rule_table
from rotascope.monitor.data import MarketData
from rotascope.monitor.engine import SURVIVORSHIP, MonitorPanel, PanelRules, compute
from rotascope.monitor.run import Monitor
from rotascope.records import Record, rnd
from rotascope.regime.rules import signals
from rotascope.regime.spec import Read
from rotascope.regime.thresholds import Thresholds, _overlay, default_path, refuse_model_bands
from rotascope.tomlfile import read_toml

SWEEPABLE = ("ladder.", "killers.")
"""Key prefixes the ladder strategy reads (other keys would give identical variants)."""
PANEL_KEYS = (
    "ladder.persistence.lookback",
    "ladder.persistence.min_vix_jump",
    "ladder.persistence.min_spy_drawdown",
)
"""Keys the monitor panel itself depends on (``engine._internals``): variants changing them recompute it."""
MAX_VARIANTS = 2000
SWEEP_KEYS = frozenset({"start", "end", "oos_start", "cost_bps", "files"})
STRATEGY = (
    "ladder strategy: long IWM / short SPY with weight (ladder level reached) / 5, flat while any rotation "
    "killer fires; decided at the weekly close, filled at the next day's close"
)
DISCLAIMER = "Research tooling, not investment advice. Past relative returns do not predict future ones."

Scalar = bool | int | float


class Change(Record):
    """One thresholds value a variant sets (dotted key of thresholds.toml)."""

    key: str
    value: Scalar


class Variant(Record):
    """A validated variant: its label, where it came from and the thresholds it runs with."""

    index: int
    label: str
    file: str | None
    changes: list[Change]
    thresholds_hash: str


class SweepSpec(Record):
    """A validated sweep file: replay range, out-of-sample start, costs and the variants."""

    path: str
    start: date | None
    end: date | None
    oos_start: date
    cost_bps: float
    variants: list[Variant]
    thresholds: list[Thresholds]
    """One per variant, in order (validated)."""


class Performance(Record):
    """A daily return record of the ladder strategy over one window."""

    start: str | None
    end: str | None
    days: int
    ann_return: float | None
    """Mean daily return x 252."""
    ann_vol: float | None
    sharpe: float | None
    """Annualised, risk-free rate 0."""
    max_drawdown: float | None
    exposure: float | None
    """Share of days with a position."""


class VariantResult(Record):
    """One variant's replay: its in-sample and out-of-sample records."""

    variant: Variant
    weeks: int
    mean_level: float | None
    """Mean ladder level reached over the replayed weeks."""
    killer_weeks: float | None
    """Share of weeks with a rotation killer firing."""
    in_sample: Performance
    out_of_sample: Performance


class SweepResult(Record):
    """The whole sweep: every variant's record and the correction for the number of variants tried."""

    sweep_file: str
    data_fingerprint: str
    source: str
    start: date
    end: date
    oos_start: date
    cost_bps: float
    last_day: date | None = None
    """The window's last trading day (on or before ``[sweep] end``): positions are closed at its close and
    no later price is read."""
    strategy: str = STRATEGY
    variants: list[VariantResult]
    correction: Correction
    caveats: list[str]
    disclaimer: str = DISCLAIMER


# --------------------------------------------------------------------------------------- the sweep file
def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _leaf(raw: Mapping[str, Any], key: str) -> Any:
    node: Any = raw
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    if isinstance(node, dict):
        raise KeyError(key)
    return node


def _nest(key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int)
    return isinstance(default, float) and isinstance(value, int | float)


def _date(where: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where} must be a date YYYY-MM-DD, got {value!r}.") from None


def _hash(t: Thresholds) -> str:
    return hashlib.sha256(t.model_dump_json().encode()).hexdigest()[:12]


def _label(file: str | None, changes: list[Change]) -> str:
    parts = [Path(file).stem] if file else []
    parts += [
        f"{c.key.rsplit('.', 1)[-1]}={c.value:g}"
        if not isinstance(c.value, bool)
        else f"{c.key.rsplit('.', 1)[-1]}={str(c.value).lower()}"
        for c in changes
    ]
    return ", ".join(parts) or "base"


def load_sweep(path: Path, base: Path | None = None) -> SweepSpec:
    """Read and validate a sweep file; every variant's thresholds are built (and checked) here, before any
    replay. ``base``: the thresholds file the variants overlay (the ``thresholds`` setting)."""
    where = f"Sweep file {path}"
    doc = read_toml(path, "Sweep file")
    unknown = sorted(set(doc) - {"sweep", "grid"})
    if unknown:
        raise ConfigError(f"{where} has unknown table(s) {', '.join(unknown)}; it holds [sweep] and [grid].")
    head = doc.get("sweep", {})
    grid_doc = doc.get("grid", {})
    if not isinstance(head, dict) or not isinstance(grid_doc, dict):
        raise ConfigError(f"{where}: [sweep] and [grid] must be tables.")
    bad = sorted(set(head) - SWEEP_KEYS)
    if bad:
        raise ConfigError(
            f"{where}: unknown [sweep] key(s) {', '.join(bad)}; known: {', '.join(sorted(SWEEP_KEYS))}."
        )
    defaults = read_toml(default_path(), "Thresholds file")
    base_raw = _overlay(defaults, read_toml(base, "Thresholds file")) if base is not None else defaults

    grid = _grid(where, grid_doc, defaults)

    files_raw = head.get("files", [])
    if not isinstance(files_raw, list) or not all(isinstance(f, str) for f in files_raw):
        raise ConfigError(f"{where}: [sweep] files must be a list of thresholds file paths.")
    files: list[Path | None] = [(path.parent / f).resolve() for f in files_raw] or [None]
    if not grid and files == [None]:
        raise ConfigError(f"{where} defines no variants: add a [grid] of thresholds keys or [sweep] files.")
    combos = list(itertools.product(*(vals for _, vals in grid))) if grid else [()]
    count = len(files) * len(combos)
    if count > MAX_VARIANTS:
        raise ConfigError(f"{where} defines {count:,} variants; at most {MAX_VARIANTS:,} per sweep.")

    variants, thresholds = _variants(where, files, grid, combos, base_raw)

    start = _date(f"{where}: [sweep] start", head["start"]) if "start" in head else None
    end = _date(f"{where}: [sweep] end", head["end"]) if "end" in head else None
    if start and end and start > end:
        raise ConfigError(f"{where}: [sweep] start {start} is after end {end}.")
    evaluate_from = str(base_raw["calibration"]["evaluate_from"])
    oos = _date(f"{where}: [sweep] oos_start", head.get("oos_start", evaluate_from))
    cost = head.get("cost_bps", 5.0)
    if isinstance(cost, bool) or not isinstance(cost, int | float) or not math.isfinite(cost) or cost < 0:
        raise ConfigError(f"{where}: [sweep] cost_bps must be a number >= 0, got {cost!r}.")
    return SweepSpec(
        path=str(path),
        start=start,
        end=end,
        oos_start=oos,
        cost_bps=float(cost),
        variants=variants,
        thresholds=thresholds,
    )


def _grid(
    where: str, grid_doc: Mapping[str, Any], defaults: Mapping[str, Any]
) -> list[tuple[str, list[Scalar]]]:
    """The [grid]'s keys and values, each checked against the thresholds file's keys and kinds."""
    grid: list[tuple[str, list[Scalar]]] = []
    for key, values in _flatten(grid_doc):
        try:
            default = _leaf(defaults, key)
        except KeyError:
            close = difflib.get_close_matches(key, [k for k, _ in _flatten(defaults)], n=1)
            hint = f" (did you mean {close[0]}?)" if close else " (keys are those of regime/thresholds.toml)"
            raise ConfigError(f"{where}: unknown thresholds key {key!r}{hint}.") from None
        if not key.startswith(SWEEPABLE):
            raise ConfigError(
                f"{where}: {key} does not change the ladder strategy a sweep scores; sweep keys under "
                f"{' or '.join(p.rstrip('.') for p in SWEEPABLE)}."
            )
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: {key} must be a non-empty list of values, like [0.0, 0.01].")
        for v in values:
            if not _same_kind(default, v):
                kind = type(default).__name__
                raise ConfigError(f"{where}: {key} takes {kind} values, got {v!r}.")
        if len(set(values)) != len(values):
            raise ConfigError(f"{where}: {key} lists a value twice.")
        grid.append((key, list(values)))
    return grid


def _variants(
    where: str,
    files: list[Path | None],
    grid: list[tuple[str, list[Scalar]]],
    combos: Sequence[tuple[Scalar, ...]],
    base_raw: dict[str, Any],
) -> tuple[list[Variant], list[Thresholds]]:
    """Every (file x grid combination) variant and its validated thresholds."""
    variants: list[Variant] = []
    thresholds: list[Thresholds] = []
    for file in files:
        file_raw = base_raw if file is None else _overlay(base_raw, read_toml(file, "Thresholds file"))
        for combo in combos:
            raw = file_raw
            changes = [Change(key=k, value=v) for (k, _), v in zip(grid, combo, strict=True)]
            for c in changes:
                raw = _overlay(raw, _nest(c.key, c.value))
            try:
                t = Thresholds.model_validate(raw)
            except ValidationError as exc:
                first = exc.errors()[0]
                key = ".".join(str(p) for p in first["loc"])
                origin = f"thresholds file {file}" if file is not None and key not in dict(grid) else where
                value = first.get("input")
                raise ConfigError(f"{origin}: {key} = {value!r} is out of range: {first['msg']}.") from None
            refuse_model_bands(t, f"Sweep variant {_label(str(file) if file else None, changes)}")
            variants.append(
                Variant(
                    index=len(variants),
                    label=_label(str(file) if file else None, changes),
                    file=str(file) if file else None,
                    changes=changes,
                    thresholds_hash=_hash(t),
                )
            )
            thresholds.append(t)
    return variants, thresholds


# ----------------------------------------------------------------------------------------- the replays
Columns = dict[Read, npt.NDArray[np.float64]]
"""Every value the rules read (``regime.rules.READS``) at every week."""


@dataclass(frozen=True)
class SweepInput:
    """What every variant task reads (shared: forked copy-on-write, or one Ray object per node)."""

    days: npt.NDArray[np.datetime64]
    base_persistence: str
    """The base panel's stress-episode settings (``_panel_key``); variants with others recompute."""
    columns: Columns
    """Every value the rules read at every week (``monitor.columns.rule_table``) on the base panel."""
    prices: pd.DataFrame
    """Leg closes up to the window's last trading day (nothing later)."""
    oos_start: date
    cost_bps: float
    data: MarketData | None
    """Needed only when a variant changes a panel key (then the panel is recomputed from it)."""
    stale_after_days: int


@dataclass(frozen=True)
class VariantRun:
    """A variant's replay, before the correction: its record and its daily out-of-sample returns."""

    result: VariantResult
    oos_returns: npt.NDArray[np.float64]


def _panel_key(t: Thresholds) -> str:
    return PanelRules.of(t).key()


def _columns(monitor_panel: MonitorPanel, days: npt.NDArray[np.datetime64]) -> Columns:
    return rule_table(monitor_panel, weekly_rows(monitor_panel, days))


_PANEL_MEMO: dict[tuple[str, str, int, bytes], Columns] = {}
"""Per-process memo of the rules' columns on recomputed panels (a worker running several variants of one
panel), keyed by the panel's settings, the data, the stale limit and the sweep's weeks: an in-process sweep
never reuses another sweep's columns."""


def _performance(rets: pd.Series, held: pd.Series) -> Performance:
    if rets.empty:
        return Performance(
            start=None,
            end=None,
            days=0,
            ann_return=None,
            ann_vol=None,
            sharpe=None,
            max_drawdown=None,
            exposure=None,
        )
    r = rets.to_numpy(dtype=np.float64)
    sd = float(r.std(ddof=1)) if len(r) > 1 else math.nan
    eq = np.cumprod(1.0 + r)
    dd = float(np.min(eq / np.maximum.accumulate(np.r_[1.0, eq])[1:] - 1.0))
    return Performance(
        start=str(rets.index[0].date()),
        end=str(rets.index[-1].date()),
        days=len(r),
        ann_return=rnd(float(r.mean()) * 252),
        ann_vol=rnd(sd * math.sqrt(252)),
        sharpe=rnd(float(r.mean()) / sd * math.sqrt(252) if sd > 0 else math.nan),
        max_drawdown=rnd(dd),
        exposure=rnd(float(held.mean())),
    )


def ladder_weights(regime: Mapping[str, npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
    """The ladder strategy's pair weight per week from the regime signals (``regime.rules.signals``): level
    reached / 5, zero while any killer fires."""
    return np.where(_killed(regime), 0.0, regime["ladder_reached"] / 5.0)


def _killed(regime: Mapping[str, npt.NDArray[np.float64]]) -> npt.NDArray[np.bool_]:
    fired = [v == 1.0 for k, v in regime.items() if k.startswith("killer_")]
    return np.any(fired, axis=0) if fired else np.zeros(len(regime["ladder_reached"]), dtype=bool)


def run_variant(shared: SweepInput, job: tuple[Variant, Thresholds]) -> VariantRun:
    """Replay one variant over every week and trade its ladder strategy (a task of ``run_tasks``)."""
    variant, t = job
    key = _panel_key(t)
    cols = shared.columns
    if key != shared.base_persistence:
        if shared.data is None:
            raise ValueError("a variant recomputes the panel but the sweep input carries no data")
        memo = (key, shared.data.fingerprint, shared.stale_after_days, shared.days.tobytes())
        if memo not in _PANEL_MEMO:
            _PANEL_MEMO[memo] = _columns(compute(shared.data, t, shared.stale_after_days), shared.days)
        cols = _PANEL_MEMO[memo]
    weeks = len(shared.days)
    regime = signals(cols.__getitem__, t, weeks)
    weights = ladder_weights(regime)
    sim = simulate(
        shared.prices,
        pair_targets(weights, shared.days),
        shared.cost_bps,
        lag=1,
        name=variant.label,
        close_at_end=True,
    )
    eq = sim.equity.dropna()
    rets = eq.pct_change().iloc[1:]
    held = pd.Series(sim.held_days(), index=rets.index)
    oos = rets.index >= pd.Timestamp(shared.oos_start)
    killed = _killed(regime).astype(np.float64)
    result = VariantResult(
        variant=variant,
        weeks=weeks,
        mean_level=rnd(float(np.mean(regime["ladder_reached"]))) if weeks else None,
        killer_weeks=rnd(float(killed.mean())) if weeks else None,
        in_sample=_performance(rets[~oos], held[~oos]),
        out_of_sample=_performance(rets[oos], held[oos]),
    )
    return VariantRun(result, np.asarray(rets[oos].to_numpy(dtype=np.float64), dtype=np.float64))


def prepare(monitor: Monitor, spec: SweepSpec) -> SweepInput:
    """The shared input of every variant: dates, the base panel's rule columns, leg prices."""
    days = replay_dates(monitor, spec.start, spec.end)
    if len(days) < 2:
        raise DataError(
            f"Fewer than two weekly as-of dates between {spec.start or 'the start'} and "
            f"{spec.end or 'the end'}; widen the sweep's range."
        )
    if days[-1].astype(date) <= spec.oos_start:
        raise DataError(
            f"The sweep's out-of-sample start {spec.oos_start} is after its last week {days[-1]}; "
            "set [sweep] oos_start earlier."
        )
    base_key = _panel_key(monitor.thresholds)
    needs_data = any(_panel_key(t) != base_key for t in spec.thresholds)
    return SweepInput(
        days=days,
        base_persistence=base_key,
        columns=_columns(monitor.panel, days),
        prices=leg_prices(monitor.panel, end=window_end(monitor.panel.calendar, spec.end)),
        oos_start=spec.oos_start,
        cost_bps=spec.cost_bps,
        data=monitor.panel.data if needs_data else None,
        stale_after_days=monitor.panel.stale_after_days,
    )


def run_sweep(
    monitor: Monitor,
    spec: SweepSpec,
    *,
    executor: ExecutorName = "local",
    workers: int | None = None,
    ray_address: str = "",
    ray_timeout: float = 15.0,
    on_done: Callable[[], None] | None = None,
    shared: SweepInput | None = None,
) -> SweepResult:
    """Every variant of ``spec`` replayed on ``executor``, then the correction for the number tried."""
    shared = shared or prepare(monitor, spec)
    jobs = list(zip(spec.variants, spec.thresholds, strict=True))
    runs = run_tasks(
        run_variant,
        shared,
        jobs,
        executor=executor,
        workers=workers,
        ray_address=ray_address,
        ray_timeout=ray_timeout,
        on_done=on_done,
    )
    lengths = {len(r.oos_returns) for r in runs}
    if len(lengths) != 1:
        raise ValueError(f"variants' out-of-sample records differ in length: {sorted(lengths)}")
    matrix = np.column_stack([r.oos_returns for r in runs])
    correction = correct(matrix, [r.result.variant.label for r in runs])
    data = monitor.panel.data
    return SweepResult(
        sweep_file=spec.path,
        data_fingerprint=data.fingerprint,
        source=data.source,
        start=shared.days[0].astype(date),
        end=shared.days[-1].astype(date),
        oos_start=spec.oos_start,
        cost_bps=spec.cost_bps,
        last_day=shared.prices.index[-1].date(),
        variants=[r.result for r in runs],
        correction=correction,
        caveats=[
            SURVIVORSHIP + " Ladder level 2 (breadth) reads today's members, so every variant carries it.",
            "Out-of-sample = the weeks from oos_start on; the thresholds were not fitted on them, but the "
            "built-in file was written by people who had seen this history.",
            "Everything covers the window only: a position still open on its last day is closed at that "
            "close (with its cost); no later price is read.",
        ],
    )
