"""Market breadth from a members close panel ``(T, N)``: is the whole index participating, or a few names?

Counting rules (all causal, NaN = no data):

* advance at ``t``: ``close_t > close_{t-1}``, decline ``<``, unchanged ``==``, counted only where both closes
  are valid. Row 0 has no previous close: 0 advances and 0 declines.
* A/D line: cumulative sum of ``A - D`` from row 0.
* Ratio-adjusted McClellan: ``RANA = 1000 * (A - D) / (A + D)`` (net advances per thousand issues
  traded, so the oscillator does not grow with the number of listed stocks); oscillator
  ``= EMA19(RANA) - EMA39(RANA)``. The classic smoothing constants 0.10 and 0.05 are ``2 / (span + 1)``
  for spans 19 and 39. EMAs are seeded with the first value (see ``kernels.ema``), so the oscillator
  starts on the 39th valid RANA. Summation index = running sum of the oscillator from its first defined
  value, starting at 0 (path dependent: it depends on where the data start).
* % above the n-day SMA: members with ``close > SMA_n`` over members with a valid SMA that day.
* New 52-week high: ``close >= max(close over the last 252 rows incl. today)``, low ``<=`` min; needs a
  full window of 252 valid closes (a stock listed less than a year is not counted). Closes only, no
  intraday highs (the members table has none).
* Zweig breadth thrust: ``thrust_ema = EMA10(A / (A + D))``; the signal is True on day ``t`` when
  ``thrust_ema_t > 0.615`` and ``thrust_ema_s < 0.40`` for at least one ``s`` in ``t-10 .. t-1`` (i.e. the
  move from below 40% to above 61.5% took at most 10 trading days). It stays True on every day that
  satisfies the rule, not only the first.

The panel is processed in cache-sized blocks of columns (all columns of a block at once, vectorised), so
no full-size float64 temporary is made; a float32 panel is accepted and converted block by block. The
whole 6,684 x 2,598 members table takes ~0.3-0.6 s and ~15 MB of scratch memory.

These functions are pure arithmetic: they do not know whether the panel holds point-in-time members.
Applied to today's members over past years, the results carry survivorship bias; callers must say so
(``rotascope.errors.SurvivorshipWarning``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rotascope._typing import BoolArray, Float64Array
from rotascope.indicators import kernels as _kernels
from rotascope.indicators.kernels import (
    IntArray,
    _check_window,
    _column_blocks,
    _doubling,
    _nan_clean,
    _Pool,
    ema,
    pct_change,
    shift,
)

__all__ = [
    "THRUST_HIGH",
    "THRUST_LOOKBACK",
    "THRUST_LOW",
    "BreadthPanel",
    "Concentration",
    "MaskedBreadth",
    "McClellan",
    "SectorParticipation",
    "ZweigThrust",
    "advance_decline",
    "breadth_masked",
    "breadth_panel",
    "breadth_with_sectors",
    "concentration",
    "mcclellan",
    "new_highs_lows",
    "pct_above_sma",
    "sector_participation",
    "zweig_thrust",
]

FloatPanel = npt.NDArray[np.floating[Any]]
"""A close panel of any float dtype (float32 tables are converted block by block)."""

THRUST_LOW = 0.40
THRUST_HIGH = 0.615
THRUST_LOOKBACK = 10


def _check_panel(close: FloatPanel) -> FloatPanel:
    """Validate a ``(T, N)`` float panel."""
    arr = np.asarray(close)
    if arr.ndim != 2:
        raise ValueError(f"close must be a 2-D (T, N) panel, got ndim={arr.ndim}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


@dataclass
class _Counts:
    """Per-row member counts accumulated over column blocks (internal)."""

    adv: IntArray
    dec: IntArray
    unch: IntArray
    above: dict[int, IntArray]
    with_sma: dict[int, IntArray]
    highs: IntArray
    lows: IntArray
    with_hl: IntArray
    group_above: Float64Array | None
    group_with: Float64Array | None
    alt_above: dict[int, IntArray] | None = None
    alt_with: dict[int, IntArray] | None = None


class _Lanes:
    """Per-row counters kept as ``(T, block width)`` uint8 lanes: adding a block's boolean mask is one
    cheap elementwise op; lanes are summed across columns into int64 totals every 255 blocks (before
    they can overflow) and at the end."""

    def __init__(self, t: int, width: int) -> None:
        self._t = t
        self._width = width
        self._lanes: dict[str, npt.NDArray[np.uint8]] = {}
        self._totals: dict[str, IntArray] = {}
        self._adds: dict[str, int] = {}

    def add(self, key: str, mask: BoolArray, row0: int = 0) -> None:
        """Add a ``(T - row0, width)`` mask into counter ``key`` starting at row ``row0``."""
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = np.zeros((self._t, self._width), dtype=np.uint8)
            self._totals[key] = np.zeros(self._t, dtype=np.int64)
            self._adds[key] = 0
        if self._adds[key] == 255:
            self._totals[key] += lane.sum(axis=1, dtype=np.int64)
            lane[:] = 0
            self._adds[key] = 0
        view = lane[row0:, : mask.shape[1]]
        np.add(view, mask.view(np.uint8), out=view)
        self._adds[key] += 1

    def total(self, key: str) -> IntArray:
        """Per-row total of counter ``key`` (zeros if nothing was added)."""
        lane = self._lanes.get(key)
        if lane is None:
            return np.zeros(self._t, dtype=np.int64)
        total: IntArray = self._totals[key] + lane.sum(axis=1, dtype=np.int64)
        return total


def _counts(
    close: FloatPanel,
    *,
    sma_windows: tuple[int, ...] = (),
    hl_window: int | None = None,
    ad: bool = False,
    groups: Float64Array | None = None,
    group_window: int = 50,
    mask: BoolArray | None = None,
    alt_mask: BoolArray | None = None,
) -> _Counts:
    """Scan the panel once, block of columns by block, and count what is asked for on every row.

    ``mask`` ((T, N) or (1, N)) restricts every count on each row to the members of that day (indicator
    windows still use each stock's whole price history); ``alt_mask`` counts the % above the SMAs a second
    time under another membership (e.g. today's members), from the same pass.

    Window sums/extremes use the same kernels as :func:`~rotascope.indicators.kernels.sma` and
    :func:`~rotascope.indicators.kernels.rolling_max`, so the comparisons match them bit for bit.
    """
    arr = _check_panel(close)
    t, n_cols = arr.shape
    width = _kernels.BLOCK_COLS
    lanes = _Lanes(t, width)
    windows = sorted(set(sma_windows) | ({group_window} if groups is not None else set()))
    g_above = None if groups is None else np.zeros((t, groups.shape[1]))
    g_with = None if groups is None else np.zeros((t, groups.shape[1]))
    pool = _Pool()
    for sl in _column_blocks(n_cols, width):
        pool.reset()
        x = _nan_clean(np.array(arr[:, sl], dtype=np.float64, order="C"))
        m = None if mask is None else np.broadcast_to(mask[:, sl], x.shape)
        am = None if alt_mask is None else np.broadcast_to(alt_mask[:, sl], x.shape)

        def on(b: BoolArray, rows: slice = slice(None), m: BoolArray | None = m) -> BoolArray:
            return b if m is None else b & m[rows]

        if ad and t > 1:
            cur, prev = x[1:], x[:-1]  # comparisons with NaN are False: only valid pairs count
            lanes.add("adv", on(cur > prev, slice(1, None)), 1)
            lanes.add("dec", on(cur < prev, slice(1, None)), 1)
            lanes.add("unch", on(cur == prev, slice(1, None)), 1)
        sums = _doubling(x, tuple(windows), np.add, False, pool) if windows else []
        for n, avg in zip(windows, sums, strict=True):
            avg /= n  # same operations as kernels.sma, hence identical values
            above = x > avg
            with_sma = ~np.isnan(avg)
            if n in sma_windows:
                lanes.add(f"above{n}", on(above))
                lanes.add(f"with{n}", on(with_sma))
                if am is not None:
                    lanes.add(f"alt_above{n}", above & am)
                    lanes.add(f"alt_with{n}", with_sma & am)
            if groups is not None and g_above is not None and g_with is not None and n == group_window:
                g = groups[sl]
                g_above += on(above).astype(np.float64) @ g
                g_with += on(with_sma).astype(np.float64) @ g
        if hl_window is not None:
            pool.reset()  # the window sums are no longer needed
            hi = _doubling(x, (hl_window,), np.maximum, True, pool)[0]
            lanes.add("highs", on(x >= hi))
            lanes.add("with_hl", on(~np.isnan(hi)))
            pool.reset()
            lo = _doubling(x, (hl_window,), np.minimum, True, pool)[0]
            lanes.add("lows", on(x <= lo))
    return _Counts(
        adv=lanes.total("adv"),
        dec=lanes.total("dec"),
        unch=lanes.total("unch"),
        above={n: lanes.total(f"above{n}") for n in sma_windows},
        with_sma={n: lanes.total(f"with{n}") for n in sma_windows},
        highs=lanes.total("highs"),
        lows=lanes.total("lows"),
        with_hl=lanes.total("with_hl"),
        group_above=g_above,
        group_with=g_with,
        alt_above=None if alt_mask is None else {n: lanes.total(f"alt_above{n}") for n in sma_windows},
        alt_with=None if alt_mask is None else {n: lanes.total(f"alt_with{n}") for n in sma_windows},
    )


def _pct(num: IntArray | Float64Array, den: IntArray | Float64Array) -> Float64Array:
    """``100 * num / den`` with NaN where ``den == 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, 100.0 * num / np.maximum(den, 1), np.nan)
    return np.asarray(out, dtype=np.float64)


def advance_decline(close: FloatPanel) -> tuple[IntArray, IntArray, IntArray]:
    """Daily counts of advancing, declining and unchanged members (both closes valid), each ``(T,)``."""
    c = _counts(close, ad=True)
    return c.adv, c.dec, c.unch


def pct_above_sma(close: FloatPanel, n: int) -> Float64Array:
    """Percent of members whose close is above their ``n``-day SMA, among members with a valid SMA."""
    _check_window(n)
    c = _counts(close, sma_windows=(n,))
    return _pct(c.above[n], c.with_sma[n])


def new_highs_lows(close: FloatPanel, n: int = 252) -> tuple[IntArray, IntArray, IntArray]:
    """Counts of members at an ``n``-row closing high, closing low, and with a full ``n``-row window."""
    _check_window(n)
    c = _counts(close, hl_window=n)
    return c.highs, c.lows, c.with_hl


@dataclass(frozen=True, slots=True)
class McClellan:
    """Ratio-adjusted McClellan oscillator: RANA, EMA19 - EMA39 of RANA, and its running sum."""

    rana: Float64Array
    oscillator: Float64Array
    summation: Float64Array


def mcclellan(advances: IntArray | Float64Array, declines: IntArray | Float64Array) -> McClellan:
    """Ratio-adjusted McClellan oscillator and summation index from daily advance/decline counts."""
    a = np.asarray(advances, dtype=np.float64)
    d = np.asarray(declines, dtype=np.float64)
    issues = a + d
    with np.errstate(divide="ignore", invalid="ignore"):
        rana = np.where(issues > 0, 1000.0 * (a - d) / issues, np.nan)
    osc = ema(rana, 19) - ema(rana, 39)
    ok = np.isfinite(osc)
    summation = np.cumsum(np.where(ok, osc, 0.0))
    summation[~ok] = np.nan
    return McClellan(rana=rana, oscillator=osc, summation=summation)


@dataclass(frozen=True, slots=True)
class ZweigThrust:
    """Zweig breadth thrust: EMA10 of ``A / (A + D)`` and the thrust signal (see module docstring)."""

    ema: Float64Array
    signal: BoolArray


def zweig_thrust(
    advances: IntArray | Float64Array,
    declines: IntArray | Float64Array,
    *,
    span: int = 10,
    low: float = THRUST_LOW,
    high: float = THRUST_HIGH,
    lookback: int = THRUST_LOOKBACK,
) -> ZweigThrust:
    """Zweig thrust on EMA10 of ``A / (A + D)``: True when above ``high`` after being below ``low`` recently.

    True at ``t`` iff ``EMA_t > high`` and ``EMA_s < low`` for some ``s`` in ``[t-lookback, t)``. NaN EMA
    values count as neither below ``low`` nor above ``high``.
    """
    _check_window(lookback, "lookback")
    a = np.asarray(advances, dtype=np.float64)
    d = np.asarray(declines, dtype=np.float64)
    issues = a + d
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(issues > 0, a / issues, np.nan)
    e = ema(share, span)
    with np.errstate(invalid="ignore"):
        below = np.isfinite(e) & (e < low)
        above = np.isfinite(e) & (e > high)
    cb = np.zeros(e.shape[0] + 1, dtype=np.int64)
    np.cumsum(below, out=cb[1:])
    idx = np.arange(e.shape[0])
    recent_low = (cb[idx] - cb[np.maximum(idx - lookback, 0)]) > 0  # rows t-lookback .. t-1
    return ZweigThrust(ema=e, signal=above & recent_low)


@dataclass(frozen=True, slots=True)
class BreadthPanel:
    """Daily breadth series of a member universe, each ``(T,)``; see the module docstring for rules."""

    advances: IntArray
    declines: IntArray
    unchanged: IntArray
    ad_line: IntArray
    rana: Float64Array
    mcclellan_osc: Float64Array
    summation: Float64Array
    pct_above_50: Float64Array
    pct_above_200: Float64Array
    new_highs: IntArray
    new_lows: IntArray
    net_highs: IntArray
    pct_new_highs: Float64Array
    pct_new_lows: Float64Array
    thrust_ema: Float64Array
    thrust_signal: BoolArray


def breadth_panel(close: FloatPanel, *, hl_window: int = 252) -> BreadthPanel:
    """Compute every daily breadth series from a members close panel in one pass over the data."""
    return _panel_from_counts(_counts(close, sma_windows=(50, 200), hl_window=hl_window, ad=True))


def _panel_from_counts(c: _Counts) -> BreadthPanel:
    mc = mcclellan(c.adv, c.dec)
    zt = zweig_thrust(c.adv, c.dec)
    return BreadthPanel(
        advances=c.adv,
        declines=c.dec,
        unchanged=c.unch,
        ad_line=np.cumsum(c.adv - c.dec),
        rana=mc.rana,
        mcclellan_osc=mc.oscillator,
        summation=mc.summation,
        pct_above_50=_pct(c.above[50], c.with_sma[50]),
        pct_above_200=_pct(c.above[200], c.with_sma[200]),
        new_highs=c.highs,
        new_lows=c.lows,
        net_highs=c.highs - c.lows,
        pct_new_highs=_pct(c.highs, c.with_hl),
        pct_new_lows=_pct(c.lows, c.with_hl),
        thrust_ema=zt.ema,
        thrust_signal=zt.signal,
    )


@dataclass(frozen=True, slots=True)
class SectorParticipation:
    """Per-sector % of members above their 50-day SMA and whether it improved over ``lookback`` rows.

    ``codes`` (S,) are the sector codes in column order of ``pct_above`` and ``improving`` (T, S);
    ``share_improving`` (T,) is the fraction (0..1) of sectors with a comparable value that improved.
    """

    codes: IntArray
    pct_above: Float64Array
    improving: BoolArray
    share_improving: Float64Array


def sector_participation(
    close: FloatPanel, sectors: npt.NDArray[np.integer[Any]], *, n: int = 50, lookback: int = 20
) -> SectorParticipation:
    """Breadth by sector: % above the ``n``-day SMA, improving if higher than ``lookback`` rows earlier.

    ``sectors`` holds one integer code per column; negative codes (unknown sector) are ignored.
    """
    _check_window(n)
    _check_window(lookback, "lookback")
    arr = _check_panel(close)
    sec = np.asarray(sectors).astype(np.int64)
    if sec.shape != (arr.shape[1],):
        raise ValueError(f"sectors must have one code per column ({arr.shape[1]}), got shape {sec.shape}")
    codes, onehot = _onehot(sec)
    c = _counts(arr, groups=onehot, group_window=n)
    assert c.group_above is not None and c.group_with is not None
    return _participation(codes, c.group_above, c.group_with, lookback)


def _onehot(sec: IntArray) -> tuple[IntArray, Float64Array]:
    codes = np.unique(sec[sec >= 0])
    return codes, (sec[:, np.newaxis] == codes[np.newaxis, :]).astype(np.float64)


def _participation(
    codes: IntArray, above: Float64Array, with_sma: Float64Array, lookback: int
) -> SectorParticipation:
    pct = _pct(above, with_sma)
    past = shift(pct, lookback)
    comparable = np.isfinite(pct) & np.isfinite(past)
    with np.errstate(invalid="ignore"):
        improving = comparable & (pct > past)
    n_cmp = comparable.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n_cmp > 0, improving.sum(axis=1) / np.maximum(n_cmp, 1), np.nan)
    return SectorParticipation(codes=codes, pct_above=pct, improving=improving, share_improving=share)


def breadth_with_sectors(
    close: FloatPanel, sectors: npt.NDArray[np.integer[Any]], *, hl_window: int = 252, lookback: int = 20
) -> tuple[BreadthPanel, SectorParticipation]:
    """:func:`breadth_panel` and :func:`sector_participation` (50-day) from one pass over the panel."""
    _check_window(lookback, "lookback")
    arr = _check_panel(close)
    sec = np.asarray(sectors).astype(np.int64)
    if sec.shape != (arr.shape[1],):
        raise ValueError(f"sectors must have one code per column ({arr.shape[1]}), got shape {sec.shape}")
    codes, onehot = _onehot(sec)
    c = _counts(arr, sma_windows=(50, 200), hl_window=hl_window, ad=True, groups=onehot, group_window=50)
    assert c.group_above is not None and c.group_with is not None
    return _panel_from_counts(c), _participation(codes, c.group_above, c.group_with, lookback)


@dataclass(frozen=True, slots=True)
class MaskedBreadth:
    """Breadth under a daily membership mask, plus % above the 50/200-day SMAs under another membership."""

    panel: BreadthPanel
    sectors: SectorParticipation | None
    alt_pct_above_50: Float64Array
    alt_pct_above_200: Float64Array


def breadth_masked(
    close: FloatPanel,
    mask: BoolArray,
    alt_mask: BoolArray,
    sectors: npt.NDArray[np.integer[Any]] | None = None,
    *,
    hl_window: int = 252,
    lookback: int = 20,
) -> MaskedBreadth:
    """:func:`breadth_panel` (and sector participation) counting only the members of each day.

    ``mask`` is ``(T, N)`` (point-in-time lists) or ``(1, N)`` (a fixed list); ``alt_mask`` likewise, for
    the comparison (e.g. today's members: survivorship measured on the same pass).
    """
    arr = _check_panel(close)
    for name, m in (("mask", mask), ("alt_mask", alt_mask)):
        if m.ndim != 2 or m.shape[1] != arr.shape[1] or m.shape[0] not in (1, arr.shape[0]):
            raise ValueError(f"{name} must be (T, N) or (1, N) for a {arr.shape} panel, got {m.shape}")
    onehot = codes = None
    if sectors is not None:
        codes, onehot = _onehot(np.asarray(sectors).astype(np.int64))
    c = _counts(
        arr, sma_windows=(50, 200), hl_window=hl_window, ad=True, groups=onehot, mask=mask, alt_mask=alt_mask
    )
    assert c.alt_above is not None and c.alt_with is not None
    part = None
    if codes is not None and c.group_above is not None and c.group_with is not None:
        part = _participation(codes, c.group_above, c.group_with, lookback)
    return MaskedBreadth(
        _panel_from_counts(c),
        part,
        _pct(c.alt_above[50], c.alt_with[50]),
        _pct(c.alt_above[200], c.alt_with[200]),
    )


@dataclass(frozen=True, slots=True)
class Concentration:
    """How concentrated a ``k``-row index move is in its largest contributors.

    ``total`` (T,) is the sum of contributions ``w_i * r_i(k)`` over valid members (NaN if none);
    ``share_top`` (T,) is the sum of the ``top`` largest ``|contributions|`` over the sum of all of them.
    """

    total: Float64Array
    share_top: Float64Array
    top: int


def concentration(close: FloatPanel, weights: Float64Array, k: int = 21, *, top: int = 10) -> Concentration:
    """Share of the ``k``-row return contributions held by the ``top`` largest ``|w_i * r_i|``.

    ``weights`` is ``(N,)`` (fixed) or ``(T, N)``; a 2-D weight is taken at the window start ``t-k`` (the
    weight the member had when the move began), so the result stays causal. Members with a missing
    return or weight contribute nothing; NaN where no contribution is non-zero.
    """
    _check_window(k, "k")
    _check_window(top, "top")
    arr = _check_panel(close)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        if w.shape[0] != arr.shape[1]:
            raise ValueError(f"weights need one value per column ({arr.shape[1]}), got {w.shape[0]}")
        w_eff: Float64Array = w[np.newaxis, :]
    elif w.shape == arr.shape:
        w_eff = shift(w, k)
    else:
        raise ValueError(f"weights must be (N,) or {arr.shape}, got {w.shape}")
    contrib = pct_change(np.asarray(arr, dtype=np.float64), k)
    contrib *= w_eff
    fin = np.isfinite(contrib)
    has_any = fin.any(axis=1)
    contrib[~fin] = 0.0
    del fin
    total = contrib.sum(axis=1)
    np.abs(contrib, out=contrib)
    denom = contrib.sum(axis=1)
    m = min(top, arr.shape[1])
    if m < arr.shape[1]:
        np.negative(contrib, out=contrib)
        part = np.partition(contrib, m - 1, axis=1)[:, :m]
        top_sum = -part.sum(axis=1)
    else:
        top_sum = denom.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(denom > 0, top_sum / np.where(denom > 0, denom, 1.0), np.nan)
    total = np.where(has_any, total, np.nan)
    return Concentration(total=total, share_top=share, top=m)
