"""Which base rate, out of sample: the expanding climatology, the size prior, or a trailing window (#11).

Every candidate at week ``i`` counts only labels known at ``i`` (``j + h <= i``); calls are scored from
``[calibration] evaluate_from`` on, against the plain expanding climatology of IWM's own labels. Candidates:

* ``size prior`` — the base rates the calibrator uses: the bull/bear split also counts the size factor's
  1926-1999 outcomes (``calibration.prior``), all of them, so there is no weight to choose;
* ``symmetric`` — a control with no data in it: the out-of-band share split exactly half bull, half bear;
* ``prior x W`` — the same split with the prior scaled to W pseudo-outcomes: shown for reference only, to
  show how the result depends on the prior's strength (choosing W from this table would be full-sample
  tuning);
* ``trailing W`` — the last W known labels (3, 5, 10 years), one pseudo-count per class. A FIXED window is
  shown for reference only: picking the best of them after seeing these scores would be full-sample tuning;
* ``nested`` — at each week, the window (expanding or a trailing one) whose own calls known then had the
  lowest Brier score (from 52 scored calls on; expanding before);
* ``blend W`` — expanding shrunk toward trailing W with the calibrator's own walk-forward blend weight
  (``model.blend_weight``: weight only once the trailing rate beat the expanding one on known calls);
* ``nested blend`` — the nested choice among expanding and the three blends.

Last, Hansen's SPA (``arch``) asks whether the size prior beats the expanding climatology on Brier loss,
alone and counting every candidate tried (stationary bootstrap, blocks of twice the horizon: the labels of
neighbouring weeks overlap).

Usage: ``ROTASCOPE_HOME=... python scripts/base_rate_study.py`` (uses the cached feature table).
"""

from __future__ import annotations

import numpy as np

from rotascope.analysis.replay import replay_extra
from rotascope.calibration.model import blend_weight
from rotascope.calibration.outcomes import Labels, _known_cumsum, climatology
from rotascope.calibration.service import BIN, brier, calibrate
from rotascope.config import load_settings
from rotascope.monitor.run import build_monitor
from rotascope.store.db import open_store

WINDOWS = (156, 260, 520)
SPA_REPS = 2000
PRIOR_WEIGHTS = (52, 260, 1040)
MIN_SCORED = 52
BLOCK_YEARS = 5


def trailing(labels: Labels, window: int) -> np.ndarray:
    """Base rates from the last ``window`` labels known at each week, one pseudo-count per class."""
    known = _known_cumsum(np.nan_to_num(labels.onehot()), labels.horizon)
    before = np.zeros_like(known)
    before[window:] = known[:-window]
    counts = known - before
    return np.asarray((counts + 1.0) / (counts.sum(axis=1, keepdims=True) + 3.0))


def nested(labels: Labels, candidates: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """At each week the candidate (0 = the first) with the lowest Brier sum over its calls known then."""
    y = labels.onehot()
    ok = np.isfinite(y[:, 0])
    sums = [
        _known_cumsum(np.where(ok, ((c - np.nan_to_num(y)) ** 2).sum(axis=1), 0.0), labels.horizon)
        for c in candidates
    ]
    scored = _known_cumsum(ok.astype(np.float64), labels.horizon)
    pick = np.where(scored >= MIN_SCORED, np.argmin(np.vstack(sums).T, axis=1), 0)
    return np.stack(candidates)[pick, np.arange(len(pick))], pick


def reliability(p: np.ndarray, y: np.ndarray) -> list[str]:
    flat_p, flat_y = p.ravel(), y.ravel()
    idx = np.minimum((flat_p / BIN).astype(np.int64), 9)
    out = []
    for b in range(10):
        m = idx == b
        if m.sum() >= 30:
            gap = 100 * (flat_y[m].mean() - flat_p[m].mean())
            out.append(
                f"{b * 10}-{b * 10 + 10}%: n={m.sum()}, mean {flat_p[m].mean():.1%}, happened "
                f"{flat_y[m].mean():.1%} ({gap:+.1f} pts)"
            )
    return out


def spa_pvalue(benchmark: np.ndarray, models: np.ndarray, block: int) -> float:
    """Hansen's SPA p-value (consistent) that no model's loss beats the benchmark's: every variant counted."""
    from arch.bootstrap import SPA  # a research script: arch only here

    spa = SPA(benchmark, models, reps=SPA_REPS, block_size=block, bootstrap="stationary", seed=7)
    spa.compute()
    return float(spa.pvalues["consistent"])


def main() -> None:
    settings = load_settings({})
    store = open_store(settings)
    try:
        monitor = build_monitor(store, settings)
    finally:
        store.close()
    cal = calibrate(monitor, replay_extra, monitor.cache_dir)
    asof = cal.table.asof
    years = asof.astype("datetime64[Y]").astype(np.int64) + 1970
    start = np.datetime64(cal.rules.evaluate_from, "D")
    print(
        f"Base rates out of sample, calls from {cal.rules.evaluate_from} to {asof[-1]} "
        f"(data {monitor.panel.data.fingerprint})"
    )
    for h, wf in sorted(cal.runs.items()):
        y = wf.labels.onehot()
        rows = np.isfinite(y[:, 0]) & (asof >= start)
        ref = wf.expanding
        fixed = {f"trailing {w}": trailing(wf.labels, w) for w in WINDOWS}
        blends = {}
        for w in WINDOWS:
            weight, _ = blend_weight(fixed[f"trailing {w}"], ref, wf.labels, cal.rules.min_oos_weeks)
            blends[f"blend {w}"] = weight[:, None] * fixed[f"trailing {w}"] + (1 - weight[:, None]) * ref
        variants = {"expanding": ref}
        if wf.prior is not None:
            variants["size prior"] = wf.clim
            variants["symmetric"] = climatology(wf.labels, (10**9, 10**9))
            side = wf.prior.bear + wf.prior.bull
            for w in PRIOR_WEIGHTS:
                scaled = (round(wf.prior.bear * w / side), round(wf.prior.bull * w / side))
                variants[f"prior x {w}"] = climatology(wf.labels, scaled)
        variants.update(fixed)
        variants["nested"] = nested(wf.labels, [ref, *fixed.values()])[0]
        variants.update(blends)
        variants["nested blend"] = nested(wf.labels, [ref, *blends.values()])[0]
        print(
            f"\n{h} weeks: n = {int(rows.sum())} calls; Brier skill vs the expanding climatology, overall "
            "and per block"
        )
        for name, p in variants.items():
            skill = 1 - brier(p[rows], y[rows]).mean() / brier(ref[rows], y[rows]).mean()
            blocks = []
            for b0 in range(int(years[rows].min()), int(years[rows].max()) + 1, BLOCK_YEARS):
                sel = rows & (years >= b0) & (years < b0 + BLOCK_YEARS)
                s = 1 - brier(p[sel], y[sel]).mean() / brier(ref[sel], y[sel]).mean()
                blocks.append(f"{b0}: {s:+.4f} (n={int(sel.sum())})")
            print(f"  {name:<14} {skill:+.4f}   " + "  ".join(blocks))
        shown = (
            "expanding",
            "size prior",
            "symmetric",
            "prior x 52",
            "prior x 260",
            "prior x 1040",
            "nested",
        )
        for name in [n for n in shown if n in variants]:
            print(f"  reliability, {name}:")
            for line in reliability(variants[name][rows], y[rows]):
                print(f"    {line}")
        if "size prior" in variants:
            print(
                "  Hansen's SPA against the plain expanding climatology (Brier loss, stationary bootstrap, "
                f"block {2 * h} weeks, {SPA_REPS} draws):"
            )
            loss = {name: brier(v[rows], y[rows]) for name, v in variants.items()}
            others = [name for name in variants if name != "expanding"]
            for label, names in (
                ("the size prior alone", ["size prior"]),
                (f"all {len(others)} tried", others),
            ):
                pv = spa_pvalue(loss["expanding"], np.column_stack([loss[n] for n in names]), 2 * h)
                print(f"    {label}: p = {pv:.4f} (consistent)")


if __name__ == "__main__":
    main()
