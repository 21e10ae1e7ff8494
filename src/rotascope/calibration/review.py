"""Review = update the ladder: how the calibrated calls and each signal did out of sample.

* ``calls_frame`` — one row per weekly as-of and horizon: ``as_of, horizon_weeks, p_bull, p_base, p_bear,
  band, base_bull, base_base, base_bear, expanding_bull, expanding_base, expanding_bear, model_weight,
  labelled_weeks`` (all point in time; ``base_*`` the base rates the calls fall back on, ``expanding_*`` the
  plain expanding climatology every skill is scored against) and the realised
  ``outcome`` (a LABEL, empty until known).
* ``review`` — Brier score and log-loss of the calls vs the plain expanding climatology per horizon and 5-year
  block (calls from ``evaluate_from``), a reliability table (10-point bins, every scenario pooled), and per
  signal: its latest walk-forward weight and its record: how often bull/bear happened in weeks it fired
  (or scored > 0) vs the base rate those weeks, flagged "no measured edge" unless the difference is beyond
  two standard errors (overlapping weeks counted as n / h independent outcomes).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rotascope.atomicfile import atomic_write
from rotascope.calibration.outcomes import BEAR, BULL, CLASSES
from rotascope.calibration.service import BIN, Calibrated, brier
from rotascope.csvmeta import sidecar, sidecar_name
from rotascope.records import Record, rnd

BLOCK_YEARS = 5
NBINS = 10
EPS = 1e-6


class Score(Record):
    horizon_weeks: int
    period: str
    n: int
    brier: float | None
    brier_climatology: float | None
    brier_skill: float | None
    log_loss: float | None
    log_loss_climatology: float | None


class ReliabilityBin(Record):
    horizon_weeks: int
    bin_low: float
    bin_high: float
    n: int
    mean_forecast: float | None
    realised: float | None


class SignalRecord(Record):
    signal: str
    horizon_weeks: int
    weight_latest: float | None
    """Standardised bull-minus-bear coefficient at the latest refit."""
    weight_refits: int = 0
    """Refits known at the review's as-of that could estimate the weight (the signal varied in their
    training rows and every class happened); the weight over time is in weights.csv and weights.png."""
    weight_low: float | None = None
    weight_high: float | None = None
    weight_sign_changes: int = 0
    """How often the weight changed sign from one refit to the next (ignoring exact zeros)."""
    weeks_on: int
    bull_rate: float | None
    bull_base_rate: float | None
    bear_rate: float | None
    bear_base_rate: float | None
    verdict: str


class Review(Record):
    as_of: str
    """The week the review is made at: only calls and outcomes known then count."""
    horizons: list[int]
    evaluate_from: str
    scores: list[Score]
    reliability: list[ReliabilityBin]
    signals: list[SignalRecord]
    calibration_seconds: float


def _last(cal: Calibrated, upto: int | None) -> int:
    """Row of the review's as-of week (default: the data's last week)."""
    return len(cal.table.asof) - 1 if upto is None else upto


def calls_frame(cal: Calibrated, upto: int | None = None) -> pd.DataFrame:
    """Every week's calls at every horizon up to week ``upto`` (default: all; see the module docstring);
    an outcome is filled only when it is known at that week."""
    last = _last(cal, upto)
    parts = []
    for h, wf in sorted(cal.runs.items()):
        cls = np.where(wf.labels.known_mask(last), wf.labels.cls, np.nan)[: last + 1]
        parts.append(
            pd.DataFrame(
                {
                    "as_of": pd.Index(cal.table.asof[: last + 1].astype(str)),
                    "horizon_weeks": h,
                    "p_bull": wf.prob[: last + 1, BULL],
                    "p_base": wf.prob[: last + 1, 1],
                    "p_bear": wf.prob[: last + 1, BEAR],
                    "band": wf.labels.band[: last + 1],
                    "base_bull": wf.clim[: last + 1, BULL],
                    "base_base": wf.clim[: last + 1, 1],
                    "base_bear": wf.clim[: last + 1, BEAR],
                    "expanding_bull": wf.expanding[: last + 1, BULL],
                    "expanding_base": wf.expanding[: last + 1, 1],
                    "expanding_bear": wf.expanding[: last + 1, BEAR],
                    "model_weight": wf.weight[: last + 1],
                    "labelled_weeks": wf.labelled[: last + 1].astype(np.int64),
                    "outcome": [CLASSES[int(c)] if np.isfinite(c) else "" for c in cls],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _score(h: int, period: str, p: np.ndarray, c: np.ndarray, y: np.ndarray) -> Score:
    n = len(y)
    if not n:
        return Score(
            horizon_weeks=h, period=period, n=0, brier=None, brier_climatology=None, brier_skill=None,
            log_loss=None, log_loss_climatology=None,
        )  # fmt: skip
    bp, bc = float(brier(p, y).mean()), float(brier(c, y).mean())
    lp = float(-(y * np.log(np.clip(p, EPS, 1))).sum(axis=1).mean())
    lc = float(-(y * np.log(np.clip(c, EPS, 1))).sum(axis=1).mean())
    return Score(
        horizon_weeks=h, period=period, n=n, brier=rnd(bp), brier_climatology=rnd(bc),
        brier_skill=rnd(1 - bp / bc) if bc > 0 else None, log_loss=rnd(lp), log_loss_climatology=rnd(lc),
    )  # fmt: skip


def reliability_bins(h: int, p: np.ndarray, o: np.ndarray) -> list[ReliabilityBin]:
    """Mean forecast and how often it happened in each 10-point bin of the pooled probabilities ``p``."""
    idx = np.minimum((p / BIN).astype(np.int64), NBINS - 1)
    bins = []
    for b in range(NBINS):
        m = idx == b
        bins.append(
            ReliabilityBin(
                horizon_weeks=h, bin_low=rnd(b * BIN, 2) or 0.0, bin_high=rnd((b + 1) * BIN, 2) or 0.0,
                n=int(m.sum()), mean_forecast=rnd(float(p[m].mean())) if m.any() else None,
                realised=rnd(float(o[m].mean())) if m.any() else None,
            )
        )  # fmt: skip
    return bins


def review(cal: Calibrated, upto: int | None = None) -> Review:
    """Scores, reliability and per-signal records over the out-of-sample calls known at week ``upto``
    (default: the data's last week)."""
    last = _last(cal, upto)
    start = np.datetime64(cal.rules.evaluate_from, "D")
    years = cal.table.asof.astype("datetime64[Y]").astype(np.int64) + 1970
    scores: list[Score] = []
    bins: list[ReliabilityBin] = []
    sigs: list[SignalRecord] = []
    x = cal.table.frame
    for h, wf in sorted(cal.runs.items()):
        y = wf.labels.onehot()
        rows = wf.labels.known_mask(last) & (cal.table.asof >= start)
        scores.append(_score(h, f"{cal.rules.evaluate_from} on", wf.prob[rows], wf.expanding[rows], y[rows]))
        first = int(years[rows].min()) if rows.any() else 0
        for b0 in range(first, int(years[rows].max()) + 1 if rows.any() else 0, BLOCK_YEARS):
            sel = rows & (years >= b0) & (years < b0 + BLOCK_YEARS)
            scores.append(_score(h, f"{b0}-{b0 + BLOCK_YEARS - 1}", wf.prob[sel], wf.expanding[sel], y[sel]))
        bins += reliability_bins(h, wf.prob[rows].ravel(), y[rows].ravel())
        fitted = wf.coefs.loc[wf.coefs.index <= pd.Timestamp(cal.table.asof[last])]
        for name in cal.table.names:
            col = x[name].to_numpy()
            on = rows & np.isfinite(col) & (col > 0)
            sigs.append(_signal(name, h, on, y, wf.clim, fitted[name].to_numpy(dtype=np.float64)))
    return Review(
        as_of=str(cal.table.asof[last]),
        horizons=sorted(cal.runs),
        evaluate_from=cal.rules.evaluate_from,
        scores=scores,
        reliability=bins,
        signals=sigs,
        calibration_seconds=rnd(cal.elapsed_s, 2) or 0.0,
    )


def _weight_fields(series: np.ndarray) -> dict[str, Any]:
    """SignalRecord's weight fields over the refits known where a weight could be estimated (finite):
    the latest, the lowest and highest, and how often the sign changed (exact zeros have no sign)."""
    est = series[np.isfinite(series)]
    if not len(est):
        return {"weight_latest": None}
    signs = np.sign(est[est != 0])
    return {
        "weight_latest": rnd(float(est[-1])),
        "weight_refits": len(est),
        "weight_low": rnd(float(est.min())),
        "weight_high": rnd(float(est.max())),
        "weight_sign_changes": int((signs[1:] != signs[:-1]).sum()),
    }


def _signal(
    name: str, h: int, on: np.ndarray, y: np.ndarray, clim: np.ndarray, weights: np.ndarray
) -> SignalRecord:
    n = int(on.sum())
    w = _weight_fields(weights)
    if n == 0:
        return SignalRecord(
            signal=name, horizon_weeks=h, weeks_on=0, bull_rate=None, bull_base_rate=None, bear_rate=None,
            bear_base_rate=None, verdict="never on out of sample", **w,
        )  # fmt: skip
    rates = y[on].mean(axis=0)
    base = clim[on].mean(axis=0)
    eff = max(n / h, 1.0)
    edges = []
    for k, label in ((BULL, "bull"), (BEAR, "bear")):
        se = np.sqrt(max(base[k] * (1 - base[k]), 1e-9) / eff)
        if abs(rates[k] - base[k]) > 2 * se:
            edges.append(f"{label} {rates[k]:.0%} vs base rate {base[k]:.0%}")
    return SignalRecord(
        signal=name, horizon_weeks=h, weeks_on=n,
        bull_rate=rnd(float(rates[BULL])), bull_base_rate=rnd(float(base[BULL])),
        bear_rate=rnd(float(rates[BEAR])), bear_base_rate=rnd(float(base[BEAR])),
        verdict="measured edge: " + "; ".join(edges) if edges else "no measured edge", **w,
    )  # fmt: skip


def weights_frame(cal: Calibrated, upto: int | None = None) -> pd.DataFrame:
    """Each signal's walk-forward weight over time: one row per refit known at week ``upto`` and horizon
    (``refit_as_of, horizon_weeks`` then one column per signal, the standardised bull-minus-bear
    coefficient fitted on the labels known at that refit)."""
    cutoff = pd.Timestamp(cal.table.asof[_last(cal, upto)])
    parts = []
    for h, wf in sorted(cal.runs.items()):
        c = wf.coefs.loc[wf.coefs.index <= cutoff]
        frame = c.reset_index(drop=True)
        frame.insert(0, "horizon_weeks", h)
        frame.insert(0, "refit_as_of", [d.strftime("%Y-%m-%d") for d in c.index])
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def weights_png(weights: pd.DataFrame, horizons: list[int]) -> bytes:
    """Heat map of every signal's weight at every refit, one panel per horizon (blue = leans bull, red =
    leans bear, grey = not estimable); a horizon with no refit known yet says so."""
    names = [c for c in weights.columns if c not in ("refit_as_of", "horizon_weeks")]
    fig = Figure(figsize=(10, 1.2 + 0.22 * len(names) * len(horizons)))
    FigureCanvasAgg(fig)
    values = np.abs(weights[names].to_numpy(dtype=np.float64))
    finite = values[np.isfinite(values)]
    lim = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    cmap = matplotlib.colormaps["RdBu"].with_extremes(bad="lightgrey")
    for k, h in enumerate(horizons):
        part = weights[weights["horizon_weeks"] == h]
        ax = fig.add_subplot(len(horizons), 1, k + 1)
        dates = pd.to_datetime(part["refit_as_of"]).to_numpy()
        title = f"{h} weeks: walk-forward weight of each signal at each refit"
        if len(dates):
            img = ax.imshow(
                part[names].to_numpy(dtype=np.float64).T, aspect="auto", cmap=cmap, vmin=-lim, vmax=lim,
                interpolation="nearest",
            )  # fmt: skip
            ticks = np.linspace(0, len(dates) - 1, min(8, len(dates))).astype(int)
            ax.set_xticks(ticks, [str(dates[t])[:4] for t in ticks])
            fig.colorbar(img, ax=ax, label="bull-minus-bear weight")
            ax.set_yticks(range(len(names)), names, fontsize=6)
        else:
            ax.set_axis_off()
            title = f"{h} weeks: no refit known yet (the model needs its minimum of labelled weeks)"
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def reliability_png(rev: Review) -> bytes:
    """Reliability diagram: mean forecast vs realised frequency per bin, one line per horizon."""
    fig = Figure(figsize=(5.5, 5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    for h in rev.horizons:
        pts = [b for b in rev.reliability if b.horizon_weeks == h and b.n >= 30]
        ax.plot(
            [b.mean_forecast or 0.0 for b in pts],
            [b.realised or 0.0 for b in pts],
            marker="o",
            label=f"{h} weeks (bins n>=30)",
        )
    ax.set_xlabel("forecast probability")
    ax.set_ylabel("realised frequency")
    ax.set_title(f"Reliability of calibrated calls since {rev.evaluate_from}")
    ax.legend(loc="upper left")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return buf.getvalue()


def review_lines(rev: Review) -> list[str]:
    """Plain-text review (the `rotascope review` output and the HTML section)."""
    lines = [
        f"Review as of {rev.as_of} (calls from {rev.evaluate_from}, outcomes known by then). Brier score and "
        "log-loss of the calibrated calls vs the expanding climatology:"
    ]
    for s in rev.scores:
        if s.n:
            lines.append(
                f"  {s.horizon_weeks:>2} weeks {s.period:<16} n={s.n:>4}  Brier {s.brier:.4f} vs "
                f"{s.brier_climatology:.4f} (skill {s.brier_skill:+.4f})  log-loss {s.log_loss:.4f} vs "
                f"{s.log_loss_climatology:.4f}"
            )
    lines.append("Reliability (all scenarios pooled; bins with n >= 30):")
    for b in rev.reliability:
        if b.n >= 30:
            lines.append(
                f"  {b.horizon_weeks:>2} weeks {b.bin_low:.0%}-{b.bin_high:.0%}: n={b.n:>4}, mean forecast "
                f"{b.mean_forecast:.1%}, happened {b.realised:.1%}"
            )
    lines.append(
        "Signals (weeks on = fired, or score > 0; weight = latest standardised bull-minus-bear, then its "
        "range over the refits and how often it changed sign):"
    )
    for g in rev.signals:
        w = "n/a" if g.weight_latest is None else f"{g.weight_latest:+.3f}"
        changes = f"{g.weight_sign_changes} sign change" + ("" if g.weight_sign_changes == 1 else "s")
        path = (
            f" ({g.weight_low:+.3f} to {g.weight_high:+.3f} over {g.weight_refits} refits, {changes})"
            if g.weight_refits and g.weight_low is not None and g.weight_high is not None
            else ""
        )
        lines.append(
            f"  {g.horizon_weeks:>2}w {g.signal:<34} on {g.weeks_on:>4}  weight {w}{path}  {g.verdict}"
        )
    lines.append(f"Walk-forward calibration took {rev.calibration_seconds:.1f} s.")
    return lines


def write_review(cal: Calibrated, out: Path, upto: int | None = None) -> list[Path]:
    """Write calls.csv, weights.csv (plain CSV; their notes in CSVW sidecars ``*.csv-metadata.json``),
    review.json, reliability.png, weights.png and review.html (known at week ``upto``) into ``out``, each
    file whole or not at all."""
    out.mkdir(parents=True, exist_ok=True)
    rev = review(cal, upto)
    weights = weights_frame(cal, upto)
    body = "\n".join(review_lines(rev)).replace("&", "&amp;").replace("<", "&lt;")
    calls_note = sidecar(
        "calls.csv",
        "The calibrated calls, one row per as-of and horizon, as known at the review week.",
        {"outcome": "a LABEL (known only h weeks later); every other column is known at as_of."},
    )
    weights_note = sidecar(
        "weights.csv",
        "Weight of each signal in the walk-forward model at each refit (standardised bull-minus-bear "
        "coefficient, fitted on the labels known at refit_as_of); the model's say in the calls is its blend "
        "weight (calls.csv model_weight).",
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>rotascope review</title></head><body>"
        "<h1>Review: calibrated calls</h1><img src='reliability.png' alt='reliability diagram'>"
        "<img src='weights.png' alt='walk-forward weight of each signal at each refit'>"
        f"<pre>{body}</pre></body></html>\n"
    )
    files: dict[str, bytes | str] = {
        "calls.csv": calls_frame(cal, upto).to_csv(index=False, float_format="%.6f", lineterminator="\n"),
        sidecar_name("calls.csv"): calls_note,
        "weights.csv": weights.to_csv(index=False, float_format="%.6f", lineterminator="\n"),
        sidecar_name("weights.csv"): weights_note,
        "review.json": rev.to_json(),
        "reliability.png": reliability_png(rev),
        "weights.png": weights_png(weights, sorted(cal.runs)),
        "review.html": page,
    }
    paths = []
    for name, payload in files.items():
        atomic_write(out / name, payload)
        paths.append(out / name)
    return paths
