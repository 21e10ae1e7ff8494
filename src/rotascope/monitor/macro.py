"""Macro and factor series on the trading calendar: each value is the latest one known on the day (by its
publication date), with the date of the observation behind it, so a snapshot never reads a later release."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rotascope._typing import DateArray, Float64Array
from rotascope.indicators.kernels import pct_change, sma
from rotascope.indicators.macro import change, change_months, rolling_percentile
from rotascope.indicators.relative_strength import RS_WINDOWS
from rotascope.indicators.volatility import realized_vol
from rotascope.monitor.data import MarketData, SeriesData

FINANCING_YIELDS = {"baa_yield": "baa_spread", "hy_yield_proxy": "hy_oas"}
"""Financing yields = spread + 10-year yield (Baa: exact; HY: a proxy, the OAS is over matched-duration
Treasuries); staleness is reported on the spread itself."""
MAX_AGE = {"nfci": 14, "claims": 14, "cpi_core_yoy": 80}
"""Weekly and monthly series are only stale when older than their release rhythm allows (days)."""

FACTOR_SERIES = {"smb": "ff_smb", "hml": "ff_hml", "rmw": "ff_rmw", "cma": "ff_cma", "mom": "ff_mom"}
"""Fama-French factor lenses: size, value, profitability (quality), investment, momentum. Their windowed
returns compound the daily factor returns by observation row and are known when the series is published."""


@dataclass(frozen=True)
class MacroSeries:
    """A macro value on the calendar with the date of the observation behind it."""

    values: Float64Array
    observed: DateArray | None
    unit: str
    max_age_days: int = 0
    """Older observations than this (0 = use the stale_days setting) get a staleness caveat."""


def derived_series(s: SeriesData, values: Float64Array) -> SeriesData:
    """A series computed in observation space keeps the publication dates of its inputs."""
    return SeriesData(s.dates, s.known_at, values)


def on_calendar(s: SeriesData, calendar: DateArray, unit: str) -> MacroSeries:
    """Latest value known on each calendar day, with the observation date behind it."""
    ok = np.isfinite(s.values)
    s = SeriesData(s.dates[ok], s.known_at[ok], s.values[ok])
    order = np.argsort(s.known_at, kind="stable")
    idx = np.searchsorted(s.known_at[order], calendar, side="right") - 1
    has = idx >= 0
    values = np.where(has, s.values[order][np.maximum(idx, 0)], np.nan)
    observed = np.where(has, s.dates[order][np.maximum(idx, 0)], np.datetime64("NaT"))
    return MacroSeries(np.asarray(values, dtype=np.float64), observed.astype("datetime64[D]"), unit)


def macro_series(data: MarketData) -> tuple[dict[str, MacroSeries], dict[str, MacroSeries]]:
    """Rates, credit, conditions, volatility and factor context on the calendar."""
    col = data.etf.column
    cal = data.calendar
    macro: dict[str, MacroSeries] = {}
    series = data.series

    def put(name: str, sid: str, unit: str, values: Float64Array | None = None) -> MacroSeries | None:
        if sid not in series:
            return None
        s = series[sid] if values is None else derived_series(series[sid], values)
        on_cal = on_calendar(s, cal, unit)
        macro[name] = MacroSeries(on_cal.values, on_cal.observed, unit, MAX_AGE.get(sid, 0))
        return macro[name]

    for sid, unit in (
        ("ust_3m", "percent"),
        ("ust_2y", "percent"),
        ("ust_10y", "percent"),
        ("curve_10y_2y", "pp"),
        ("curve_10y_3m", "pp"),
        ("hy_oas", "percent"),
        ("baa_spread", "percent"),
        ("nfci", "index"),
        ("cpi_core_yoy", "percent"),
    ):
        put(sid, sid, unit)
    for sid in ("ust_10y", "curve_10y_2y", "hy_oas", "baa_spread"):
        if sid in macro:
            base = macro[sid]
            unit = "pp"
            macro[f"{sid}_chg_13w"] = MacroSeries(change(base.values, 63), base.observed, unit)
            if sid in ("ust_10y", "hy_oas"):
                macro[f"{sid}_chg_4w"] = MacroSeries(change(base.values, 21), base.observed, unit)
    if "hy_oas" in macro:
        macro["hy_oas_pctile_5y"] = MacroSeries(
            rolling_percentile(macro["hy_oas"].values, 1260), macro["hy_oas"].observed, "fraction"
        )
    for name, sid in FINANCING_YIELDS.items():
        if sid in macro and "ust_10y" in macro:  # financing yields: spread + 10-year (issue #16)
            spread = macro[sid]
            level = spread.values + macro["ust_10y"].values
            macro[name] = MacroSeries(level, spread.observed, "percent", spread.max_age_days)
            pct = rolling_percentile(level, 1260)
            macro[f"{name}_pctile_5y"] = MacroSeries(pct, spread.observed, "fraction")
    if "nfci" in series:
        put("nfci_chg_13w", "nfci", "index", change(series["nfci"].values, 13))
    if "claims" in series:
        c = series["claims"].values
        avg4 = sma(c, 4)
        put("claims_4wk", "claims", "persons", avg4)
        with np.errstate(divide="ignore", invalid="ignore"):
            put(
                "claims_yoy",
                "claims",
                "fraction",
                avg4 / np.concatenate([np.full(52, np.nan), avg4[:-52]]) - 1,
            )
    if "cpi_core_yoy" in series:
        cpi = series["cpi_core_yoy"]
        put("core_cpi_yoy_chg_3m", "cpi_core_yoy", "pp", change_months(cpi.dates, cpi.values, 3))
    vix = col("VIX")
    macro["vix"] = MacroSeries(vix, None, "index")
    macro["vix_pctile_1y"] = MacroSeries(rolling_percentile(vix, 252), None, "fraction")
    hyg_ief = col("HYG") / col("IEF")
    macro["hyg_ief_vs_sma50"] = MacroSeries(hyg_ief / sma(hyg_ief, 50) - 1, None, "fraction")
    macro["hyg_ief_chg_13w"] = MacroSeries(pct_change(hyg_ief, 63), None, "fraction")
    macro["rv_iwm_21d"] = MacroSeries(realized_vol(col("IWM")), None, "annualised")
    macro["rv_spy_21d"] = MacroSeries(realized_vol(col("SPY")), None, "annualised")
    return macro, _factors(data)


def _factors(data: MarketData) -> dict[str, MacroSeries]:
    """The Fama-French factor lenses' windowed returns on the calendar."""
    series, cal = data.series, data.calendar
    factors: dict[str, MacroSeries] = {}
    for lens, sid in FACTOR_SERIES.items():
        if sid not in series:
            continue
        f = series[sid]
        logcum = np.cumsum(np.log1p(np.nan_to_num(f.values) / 100.0))
        for w, k in RS_WINDOWS.items():
            back = np.concatenate([np.full(k, np.nan), logcum[:-k]])
            factors[f"{lens}_{w}"] = on_calendar(derived_series(f, np.expm1(logcum - back)), cal, "fraction")
    return factors
