"""Generic causal array kernels for (dates x symbols) panels.

Conventions shared by every kernel here:

* Input is a 1-D ``(T,)`` series or a 2-D ``(T, N)`` panel (rows = trading dates ascending, columns =
  symbols); the output has the same shape and is float64.
* Missing data is NaN. Any non-finite value (NaN, +/-inf) is treated as missing.
* Causal: the value at row ``t`` depends only on rows ``<= t``. Computing on data truncated at any row
  gives bit-identical values up to that row.
* Window kernels (``sma``, ``rolling_*``) need a full window of ``n`` valid values ending at ``t``;
  otherwise the output is NaN. A window that contains a NaN yields NaN. Sums, maxima and minima are
  built by doubling power-of-two windows (NaN propagates, which enforces the full-window rule), in
  cache-sized column blocks: O(T*N*log n), exact for max/min, pairwise-accurate for sums.
* Recursive filters (``ema``, ``wilder``) skip missing rows: the filter state is carried over a NaN
  row unchanged and the output at that row is NaN (no data, no value). See :func:`ema`.
* All kernels are vectorised across columns (no Python loop over symbols).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rotascope._typing import BoolArray, Float64Array

IntArray = npt.NDArray[np.int64]

__all__ = [
    "ema",
    "pct_change",
    "rolling_max",
    "rolling_min",
    "rolling_std",
    "rolling_sum",
    "rolling_zscore",
    "shift",
    "sma",
    "wilder",
]

BLOCK_COLS = 32
"""Columns per cache block of the window kernels: a 6,700-row float64 block is ~0.85 MB, so the scratch
arrays stay in cache (measured ~2x faster than 64 columns, ~4x faster than whole-panel ops)."""
_FILTER_BLOCK_COLS = 128  # columns per block of the recursive filters: bounds their temporaries (~40 MB)
# A window whose std is below this fraction of its largest |value| is treated as constant (std = 0);
# rounding noise of a constant window is ~1e-16 relative, real data never gets near 1e-12.
_CONST_RTOL = 1e-12


def _as_float(x: Float64Array) -> Float64Array:
    """Return ``x`` as a float64 ndarray (no copy when it already is one), rejecting ndim > 2."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(f"expected a 1-D (T,) or 2-D (T, N) array, got ndim={arr.ndim}")
    return arr


def _check_window(n: int, name: str = "n") -> None:
    """Reject non-positive window lengths with a clear message."""
    if int(n) != n or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")


def _valid(x: Float64Array) -> BoolArray:
    """Mask of usable values: finite numbers (NaN and +/-inf are missing data)."""
    return np.isfinite(x)


def _nan_clean(x: Float64Array) -> Float64Array:
    """Return ``x`` with +/-inf replaced by NaN (a copy only when there is an inf)."""
    inf = np.isinf(x)
    if inf.any():
        return np.where(inf, np.nan, x)
    return x


def _column_blocks(n_cols: int, width: int | None = None) -> list[slice]:
    """Column slices of at most ``width`` (default :data:`BLOCK_COLS`) columns covering ``0..n_cols``."""
    w = BLOCK_COLS if width is None else width
    return [slice(j, min(j + w, n_cols)) for j in range(0, n_cols, w)]


class _Pool:
    """Reusable scratch buffers for one block shape (fresh multi-MB arrays cost page faults on every op)."""

    def __init__(self) -> None:
        self._bufs: list[Float64Array] = []
        self._used = 0

    def take(self, shape: tuple[int, ...]) -> Float64Array:
        """Return an uninitialised 2-D buffer of ``shape`` (a view of a pooled buffer when one fits)."""
        while self._used < len(self._bufs):
            buf = self._bufs[self._used]
            self._used += 1
            if buf.shape[0] == shape[0] and buf.shape[1] >= shape[1]:
                return buf[:, : shape[1]]
        buf = np.empty(shape)
        self._bufs.append(buf)
        self._used = len(self._bufs)
        return buf

    def reset(self) -> None:
        """Make every buffer available again (invalidates arrays handed out earlier)."""
        self._used = 0


def _doubling(
    x: Float64Array, ns: tuple[int, ...], op: np.ufunc, idempotent: bool, pool: _Pool | None = None
) -> list[Float64Array]:
    """Trailing ``n``-row reductions (``np.add``/``maximum``/``minimum``) of a 2-D block, one per ``n``.

    ``L_{2k}[t] = op(L_k[t], L_k[t-k])`` builds windows of power-of-two length (shared by all ``ns``); an
    ``n``-row window is then two overlapping windows (idempotent max/min) or the binary decomposition of
    ``n``, largest part first (sum). NaN propagates through ``op``, so any missing value in the window
    yields NaN, as do the first ``n-1`` rows. Pairwise sums: rounding is bounded by ~``log2(n)`` ulps and
    does not grow with the history length. The result for a given ``n`` does not depend on ``ns``.
    """
    t = x.shape[0]
    alloc = np.empty if pool is None else pool.take
    top = max(ns)
    needed = {1 << i for n in ns for i in range(n.bit_length()) if idempotent or n >> i & 1}
    needed |= {1 << (n.bit_length() - 1) for n in ns}
    levels: dict[int, Float64Array] = {1: x}
    cur = x
    k = 1
    while 2 * k <= top and t > k:
        nxt = alloc(x.shape)
        nxt[:k] = np.nan
        op(cur[k:], cur[:-k], out=nxt[k:])
        cur = nxt
        k *= 2
        if k in needed:
            levels[k] = cur
    results: list[Float64Array] = []
    for n in ns:
        if t < n:
            results.append(np.full(x.shape, np.nan))
            continue
        big = 1 << (n.bit_length() - 1)
        res = levels[big]
        if idempotent:
            rest = n - big
            if rest:
                out = alloc(x.shape)
                out[: n - 1] = np.nan
                op(res[n - 1 :], res[n - 1 - rest : t - rest], out=out[n - 1 :])
                res = out
        else:
            covered = big
            for i in range(big.bit_length() - 2, -1, -1):
                kk = 1 << i
                if not n & kk:
                    continue
                out = alloc(x.shape)
                start = covered + kk - 1
                out[:start] = np.nan
                op(res[start:], levels[kk][kk - 1 : t - covered], out=out[start:])
                res = out
                covered += kk
        results.append(res if res is not x else np.array(x, order="C"))
    return results


def _trailing(x: Float64Array, n: int, op: np.ufunc, idempotent: bool) -> Float64Array:
    """Apply :func:`_doubling` to a 1-D or 2-D input, in cache-sized C-ordered column blocks."""
    _check_window(n)
    arr = _as_float(x)
    if arr.ndim == 1:
        col = _nan_clean(arr)[:, np.newaxis]
        return _doubling(np.ascontiguousarray(col), (n,), op, idempotent)[0][:, 0]
    out = np.empty(arr.shape)
    pool = _Pool()
    for sl in _column_blocks(arr.shape[1]):
        pool.reset()
        block = _nan_clean(np.array(arr[:, sl], dtype=np.float64, order="C"))
        out[:, sl] = _doubling(block, (n,), op, idempotent, pool)[0]
    return out


def rolling_sum(x: Float64Array, n: int) -> Float64Array:
    """Trailing ``n``-row sum, NaN unless all ``n`` values are valid (pairwise doubling, O(T*N*log n))."""
    return _trailing(x, n, np.add, idempotent=False)


def sma(x: Float64Array, n: int) -> Float64Array:
    """Simple moving average over the trailing ``n`` rows (needs ``n`` valid values, else NaN).

    Window sums are built pairwise by doubling, so rounding does not drift with the history length.
    """
    out = rolling_sum(x, n)
    out /= n
    return out


def _align_valid(arr: Float64Array) -> tuple[Float64Array, IntArray, IntArray]:
    """Pack each column's valid values to the top, in order (vectorised scatter, no sort).

    Returns ``(packed, flat_src, rank)``: ``packed[k, j]`` is the k-th valid value of column ``j`` (0
    below the last one), ``flat_src`` the flat indices of valid cells of ``arr`` and ``rank`` the
    0-based rank of each of those cells within its column.
    """
    t, n_cols = arr.shape
    arr = np.ascontiguousarray(arr)
    valid = _valid(arr)
    rank_all = np.cumsum(valid, axis=0, dtype=np.int64)
    rank_all -= 1
    flat_src = np.flatnonzero(valid)
    cols = flat_src % n_cols
    rank = rank_all.ravel()[flat_src]
    packed = np.zeros((t, n_cols))
    packed.ravel()[rank * n_cols + cols] = arr.ravel()[flat_src]
    return packed, flat_src, rank


def _linear_scan(x: Float64Array, alpha: float, y0: Float64Array) -> Float64Array:
    """``y_k = (1-alpha) y_{k-1} + alpha x_k`` with ``y_{-1} = y0``, as a log-depth prefix scan.

    Each doubling step adds ``(1-alpha)^s`` times the value ``s`` rows up, so row k only ever reads rows
    <= k (causal, and bit-identical whatever rows follow). Replaces scipy's lfilter, whose import costs
    more than a second of CLI start-up.
    """
    c = 1.0 - alpha
    out = alpha * x
    out[0] += c * y0
    step, factor = 1, c
    while step < out.shape[0]:
        out[step:] = out[step:] + factor * out[:-step]
        step, factor = step * 2, factor * factor
    return np.asarray(out, dtype=np.float64)


def _recursive(arr2: Float64Array, alpha: float, min_periods: int, sma_seed: bool) -> Float64Array:
    """First-order recursive filter ``y_k = (1-alpha) y_{k-1} + alpha x_k`` over each column's valid values.

    The seed is the first valid value (``sma_seed=False``) or the mean of the first ``min_periods`` valid
    values (``sma_seed=True``). Uses a prefix scan (``_linear_scan``) on the packed valid values, so the whole
    panel is filtered in one call.
    """
    t, n_cols = arr2.shape
    out = np.full((t, n_cols), np.nan)
    if t == 0 or n_cols == 0:
        return out
    if n_cols > _FILTER_BLOCK_COLS:
        for sl in _column_blocks(n_cols, _FILTER_BLOCK_COLS):
            out[:, sl] = _recursive(arr2[:, sl], alpha, min_periods, sma_seed)
        return out
    packed, flat_src, rank = _align_valid(arr2)
    y = np.empty_like(packed)
    if sma_seed:
        k0 = min_periods - 1
        if k0 >= t:
            return out
        y[:k0] = np.nan
        # sequential sum (cumsum), as TA-Lib does; np.sum's pairwise order would depend on the block shape
        y[k0] = np.cumsum(packed[: k0 + 1], axis=0)[-1] / min_periods
    else:
        k0 = 0
        y[0] = packed[0]
    if k0 + 1 < t:
        y[k0 + 1 :] = _linear_scan(packed[k0 + 1 :], alpha, y[k0])
    keep = rank >= (min_periods - 1)
    src = flat_src[keep]
    cols = src % n_cols
    out.ravel()[src] = y.ravel()[rank[keep] * n_cols + cols]
    return out


def ema(x: Float64Array, span: int, *, min_periods: int | None = None) -> Float64Array:
    """Exponential moving average, ``alpha = 2 / (span + 1)``, seeded with the first valid value.

    ``y = x`` at a column's first valid value, then ``y_t = (1 - alpha) y_{t-1} + alpha x_t``. NaN rows are
    skipped (state carried, output NaN there). The output is NaN until ``min_periods`` (default ``span``)
    valid values have been seen. Equals pandas ``ewm(span=span, adjust=False, min_periods=span)`` on columns
    with only leading NaNs, and ``ewm(..., ignore_na=True)`` masked to the valid rows otherwise.
    """
    _check_window(span, "span")
    mp = span if min_periods is None else min_periods
    _check_window(mp, "min_periods")
    arr = _as_float(x)
    alpha = 2.0 / (span + 1.0)
    if arr.ndim == 1:
        return _recursive(arr[:, np.newaxis], alpha, mp, sma_seed=False)[:, 0]
    return _recursive(arr, alpha, mp, sma_seed=False)


def wilder(x: Float64Array, n: int) -> Float64Array:
    """Wilder's moving average (RMA), ``alpha = 1 / n``, seeded with the SMA of the first ``n`` values.

    Output is NaN until ``n`` valid values, equals their simple mean at the n-th, then
    ``y_t = ((n - 1) y_{t-1} + x_t) / n`` (TA-Lib's ATR/RSI convention). NaN rows are skipped as in
    :func:`ema`.
    """
    _check_window(n)
    arr = _as_float(x)
    alpha = 1.0 / n
    if arr.ndim == 1:
        return _recursive(arr[:, np.newaxis], alpha, n, sma_seed=True)[:, 0]
    return _recursive(arr, alpha, n, sma_seed=True)


def rolling_max(x: Float64Array, n: int) -> Float64Array:
    """Trailing ``n``-row maximum (rows ``t-n+1..t``); NaN if any value in the window is missing.

    Doubling over power-of-two windows (O(T*N*log n), cache blocked); exact, so identical to any other
    correct method (tests check it against scipy.ndimage and pandas).
    """
    return _trailing(x, n, np.maximum, idempotent=True)


def rolling_min(x: Float64Array, n: int) -> Float64Array:
    """Trailing ``n``-row minimum (rows ``t-n+1..t``); NaN if any value in the window is missing."""
    return _trailing(x, n, np.minimum, idempotent=True)


def rolling_std(x: Float64Array, n: int, *, ddof: int = 1) -> Float64Array:
    """Trailing ``n``-row standard deviation (``ddof=1`` sample std like pandas), NaN unless window full.

    Two-pass (mean, then squared deviations), O(T*N*n) work but exact to rounding whatever the history
    length (no running-sum cancellation). A window that is constant (std below 1e-12 of its
    largest absolute value) gets exactly 0.
    """
    return _rolling_moments(x, n, ddof=ddof, zscore=False)


def rolling_zscore(x: Float64Array, n: int, *, ddof: int = 1) -> Float64Array:
    """``(x_t - mean) / std`` over the trailing ``n`` rows incl. ``t``; NaN if std is 0 or window not full."""
    return _rolling_moments(x, n, ddof=ddof, zscore=True)


def _rolling_moments(x: Float64Array, n: int, *, ddof: int, zscore: bool) -> Float64Array:
    """Shared implementation of :func:`rolling_std` and :func:`rolling_zscore`.

    Sums are accumulated lag by lag (``n`` whole-panel vector ops in a fixed order, NaN propagating), so
    each row's result is independent of how many rows follow it (bit-identical under truncation).
    """
    _check_window(n)
    if not 0 <= ddof < n:
        raise ValueError(f"ddof must be in [0, n), got ddof={ddof}, n={n}")
    arr = _nan_clean(_as_float(x))
    out = np.full(arr.shape, np.nan)
    t = arr.shape[0]
    if t < n:
        return out
    m = t - n + 1
    total = np.zeros((m, *arr.shape[1:]))
    for k in range(n):
        total += arr[k : k + m]
    mean = total / n
    sq = np.zeros_like(total)
    dev = np.empty_like(total)
    for k in range(n):
        np.subtract(arr[k : k + m], mean, out=dev)
        dev *= dev
        sq += dev
    std = np.sqrt(sq / (n - ddof))
    scale = rolling_max(np.abs(arr), n)[n - 1 :]
    with np.errstate(invalid="ignore"):
        std[std <= _CONST_RTOL * scale] = 0.0
    if zscore:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[n - 1 :] = np.where(std > 0.0, (arr[n - 1 :] - mean) / std, np.nan)
    else:
        out[n - 1 :] = std
    return out


def shift(x: Float64Array, k: int) -> Float64Array:
    """Lag by ``k >= 0`` rows (row ``t`` gets row ``t-k``; the first ``k`` rows are NaN).

    Negative ``k`` (a look-ahead) is refused: these kernels are causal by construction.
    """
    if int(k) != k or k < 0:
        raise ValueError(f"shift k must be a non-negative integer (causal lag), got {k!r}")
    arr = _as_float(x)
    out = np.full(arr.shape, np.nan)
    if k == 0:
        out[:] = arr
    elif k < arr.shape[0]:
        out[k:] = arr[:-k]
    out[~np.isfinite(out)] = np.nan
    return out


def pct_change(x: Float64Array, k: int = 1) -> Float64Array:
    """Simple return over ``k`` rows, ``x_t / x_{t-k} - 1``; NaN if either is missing or ``x_{t-k} == 0``.

    No forward filling: a gap yields NaN (pandas ``pct_change(k, fill_method=None)`` semantics).
    """
    _check_window(k, "k")
    arr = _as_float(x)
    out = np.full(arr.shape, np.nan)
    if k < arr.shape[0]:
        head = out[k:]
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(arr[k:], arr[:-k], out=head)
        head -= 1.0
        head[~np.isfinite(arr[:-k])] = np.nan  # an infinite previous value is missing, not a -100 % return
    out[~np.isfinite(out)] = np.nan
    return out


def masked_median(values: Float64Array, mask: BoolArray) -> Float64Array:
    """Median of each row over its masked, finite entries (NaN where none), as ``np.median`` of them."""
    ok = mask & np.isfinite(values)
    n = ok.sum(axis=1)
    s = np.sort(np.where(ok, values, np.inf), axis=1)
    rows = np.arange(len(n))
    lo = s[rows, np.maximum((n - 1) // 2, 0)]
    hi = s[rows, np.maximum(n // 2, 0)]
    with np.errstate(invalid="ignore"):
        med = np.where(n % 2 == 1, lo, (lo + hi) / 2.0)
    out: Float64Array = np.where(n > 0, med, np.nan)
    return out


def masked_quantile(values: Float64Array, mask: BoolArray, qs: tuple[float, ...]) -> list[Float64Array]:
    """``np.quantile(row[mask], q)`` (linear) of each row over its masked, finite entries for each ``q`` of
    ``qs`` (NaN where none): one sort for all of them."""
    ok = mask & np.isfinite(values)
    n = ok.sum(axis=1)
    s = np.sort(np.where(ok, values, np.inf), axis=1)
    rows = np.arange(len(n))
    out: list[Float64Array] = []
    for q in qs:
        pos = np.maximum(n - 1, 0) * q
        below = np.floor(pos).astype(np.int64)
        above = np.minimum(below + 1, np.maximum(n - 1, 0))
        a, b = s[rows, below], s[rows, above]
        gamma = pos - below
        with np.errstate(invalid="ignore"):
            diff = b - a  # numpy's linear interpolation, operation for operation (np.quantile's _lerp)
            lerp = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
            out.append(np.where(n > 0, lerp, np.nan))
    return out
