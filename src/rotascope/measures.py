"""The measures catalogue: every named monitor value the rules and agents read, with its unit, window and
source, and one typed accessor.

Rules and agents name a measure by its constant (``HY_OAS_CHG_13W.of(snap)``), never by a string, so a
misspelt measure is an import error, not a silent "missing data, rule fails"; a test checks that the
catalogue and the engine's snapshot hold exactly the same names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from rotascope.records import Snapshot

Section = Literal["macro", "factors", "internals"]


@dataclass(frozen=True)
class Measure:
    """One named value of the snapshot: where it lives, its unit and window, and where it comes from."""

    name: str
    section: Section
    unit: str
    window: str
    source: str

    def of(self, snap: Snapshot) -> float | None:
        """The value as of the snapshot's date (None when the data could not give it)."""
        if self.section == "macro":
            return snap.macro.values.get(self.name)
        if self.section == "factors":
            return snap.factors.get(self.name)
        return snap.internals.get(self.name)


def _m(name: str, section: Section, unit: str, window: str, source: str) -> Measure:
    return Measure(name, section, unit, window, source)


FRED_DGS10, FRED_HY = "FRED DGS10", "FRED BAMLH0A0HYM2 (ICE BofA US HY OAS)"
UST_10Y = _m("ust_10y", "macro", "percent", "latest", FRED_DGS10)
UST_10Y_CHG_4W = _m("ust_10y_chg_4w", "macro", "pp", "20d", FRED_DGS10)
UST_10Y_CHG_13W = _m("ust_10y_chg_13w", "macro", "pp", "63d", FRED_DGS10)
UST_2Y = _m("ust_2y", "macro", "percent", "latest", "FRED DGS2")
UST_3M = _m("ust_3m", "macro", "percent", "latest", "FRED DGS3MO")
CURVE_10Y_2Y = _m("curve_10y_2y", "macro", "pp", "latest", "FRED T10Y2Y")
CURVE_10Y_2Y_CHG_13W = _m("curve_10y_2y_chg_13w", "macro", "pp", "63d", "FRED T10Y2Y")
CURVE_10Y_3M = _m("curve_10y_3m", "macro", "pp", "latest", "FRED T10Y3M")
HY_OAS = _m("hy_oas", "macro", "percent", "latest", FRED_HY)
HY_OAS_CHG_4W = _m("hy_oas_chg_4w", "macro", "pp", "20d", FRED_HY)
HY_OAS_CHG_13W = _m("hy_oas_chg_13w", "macro", "pp", "63d", FRED_HY)
HY_OAS_PCTILE_5Y = _m("hy_oas_pctile_5y", "macro", "fraction", "5y", FRED_HY)
BAA_SPREAD = _m("baa_spread", "macro", "percent", "latest", "FRED BAA10Y")
BAA_SPREAD_CHG_13W = _m("baa_spread_chg_13w", "macro", "pp", "63d", "FRED BAA10Y")
BAA_YIELD = _m("baa_yield", "macro", "percent", "latest", "FRED BAA10Y + DGS10 (Moody's Baa yield)")
BAA_YIELD_PCTILE_5Y = _m("baa_yield_pctile_5y", "macro", "fraction", "5y", "FRED BAA10Y + DGS10")
HY_YIELD_PROXY = _m("hy_yield_proxy", "macro", "percent", "latest", "FRED BAMLH0A0HYM2 + DGS10 (proxy)")
HY_YIELD_PROXY_PCTILE_5Y = _m("hy_yield_proxy_pctile_5y", "macro", "fraction", "5y", "HY OAS + DGS10 (proxy)")
HYG_IEF_VS_SMA50 = _m("hyg_ief_vs_sma50", "macro", "fraction", "50d", "HYG, IEF closes")
HYG_IEF_CHG_13W = _m("hyg_ief_chg_13w", "macro", "fraction", "63d", "HYG, IEF closes")
NFCI = _m("nfci", "macro", "index", "latest", "FRED NFCI")
NFCI_CHG_13W = _m("nfci_chg_13w", "macro", "index", "63d", "FRED NFCI")
CLAIMS_4WK = _m("claims_4wk", "macro", "persons", "4w", "FRED ICSA")
CLAIMS_YOY = _m("claims_yoy", "macro", "fraction", "52w", "FRED ICSA")
CPI_CORE_YOY = _m("cpi_core_yoy", "macro", "percent", "12m", "BLS core CPI")
CORE_CPI_YOY_CHG_3M = _m("core_cpi_yoy_chg_3m", "macro", "pp", "3m", "BLS core CPI")
VIX = _m("vix", "macro", "index", "latest", "CBOE VIX")
VIX_PCTILE_1Y = _m("vix_pctile_1y", "macro", "fraction", "252d", "CBOE VIX")
RV_IWM_21D = _m("rv_iwm_21d", "macro", "annualised", "21d", "IWM closes")
RV_SPY_21D = _m("rv_spy_21d", "macro", "annualised", "21d", "SPY closes")
FACTOR_WINDOWS = ("1w", "1m", "3m", "6m", "12m")
FACTOR_NAMES = {
    "smb": "size (SMB)",
    "hml": "value (HML)",
    "rmw": "profitability (RMW)",
    "cma": "investment (CMA)",
    "mom": "momentum (MOM)",
}


def _factor(lens: str) -> dict[str, Measure]:
    return {
        w: _m(f"{lens}_{w}", "factors", "fraction", w, f"Fama-French {FACTOR_NAMES[lens]}")
        for w in FACTOR_WINDOWS
    }


SMB, HML, RMW, CMA, MOM = (_factor(lens) for lens in FACTOR_NAMES)
"""Each factor lens over each window, by window (e.g. ``RMW["3m"]``)."""
IWM_SPY_DAYS_ABOVE_SMA20 = _m("iwm_spy_days_above_sma20", "internals", "days", "20d", "IWM, SPY closes")
IWM_SPY_DRAWDOWN_LOOKBACK = _m("iwm_spy_drawdown_lookback", "internals", "fraction", "63d", "IWM, SPY closes")
IWM_SPY_SINCE_STRESS = _m("iwm_spy_since_stress", "internals", "fraction", "63d", "IWM, SPY closes")
SPY_DRAWDOWN_LOOKBACK = _m("spy_drawdown_lookback", "internals", "fraction", "63d", "SPY closes")
VIX_JUMP_LOOKBACK = _m("vix_jump_lookback", "internals", "fraction", "63d", "CBOE VIX")
STRESS_SEEN = _m("stress_seen", "internals", "flag", "63d", "VIX, SPY")
MEMBERS = "R2000 member closes (today's members)"
R2000_CYC_MEDIAN_1M = _m("r2000_cyc_median_1m", "internals", "fraction", "21d", MEMBERS)
R2000_CYC_MEDIAN_3M = _m("r2000_cyc_median_3m", "internals", "fraction", "63d", MEMBERS)
R2000_DEF_MEDIAN_3M = _m("r2000_def_median_3m", "internals", "fraction", "63d", MEMBERS)
EARNINGS = "earnings surprises and consensus snapshots, each known on its date (today's members)"
R2000_REPORTERS_1Q = _m("r2000_reporters_1q", "internals", "count", "91d", EARNINGS)
R2000_BEAT_SHARE_1Q = _m("r2000_beat_share_1q", "internals", "fraction", "91d", EARNINGS)
R2000_REVISED_4W = _m("r2000_revised_4w", "internals", "count", "28d", EARNINGS)
R2000_NET_REVISIONS_4W = _m("r2000_net_revisions_4w", "internals", "fraction", "28d", EARNINGS)
R2000_CYC_MINUS_DEF_3M = _m("r2000_cyc_minus_def_3m", "internals", "fraction", "63d", MEMBERS)

CATALOGUE: dict[str, Measure] = {
    m.name: m
    for m in [v for v in globals().values() if isinstance(v, Measure)]
    + [m for lens in (SMB, HML, RMW, CMA, MOM) for m in lens.values()]
}
"""Every measure by name."""


# ------------------------------------------------------------------------------------------------ units
Quoted = Literal["%", "pp", "percentile", "number"]


@dataclass(frozen=True)
class Unit:
    """How a value of one unit is judged and quoted: what the reader sees (``quoted``), the factor from the
    stored value to the quoted number, whether it carries a sign, its decimals, and the margin scale a
    claim's strength is measured in (None: the threshold's own size)."""

    name: str
    quoted: Quoted
    factor: float
    signed: bool
    digits: int
    scale: float | None
    meaning: str


UNITS: dict[str, Unit] = {
    u.name: u
    for u in (
        Unit("fraction", "%", 100.0, True, 2, 0.02, "a return or a relative change, stored as a fraction"),
        Unit("share", "%", 100.0, False, 2, 0.02, "a share of a whole (0 to 1), stored as a fraction"),
        Unit("share_diff", "pp", 100.0, True, 2, 0.02, "a difference of two shares or returns (fraction)"),
        Unit("percentile", "percentile", 100.0, False, 1, 0.02, "a rank in its own history (0 to 1)"),
        Unit("annualised", "%", 100.0, False, 2, 0.05, "an annualised volatility, stored as a fraction"),
        Unit("vol_diff", "pp", 100.0, True, 2, 0.05, "a difference of two annualised volatilities"),
        Unit("pp", "pp", 1.0, True, 2, 0.25, "a change or difference of rates, in percentage points"),
        Unit("count", "number", 1.0, False, 0, 1.0, "a count"),
        Unit("days", "number", 1.0, False, 0, 1.0, "a number of days"),
        Unit("flag", "number", 1.0, False, 0, 1.0, "0 or 1"),
        Unit("advances-declines", "number", 1.0, True, 0, None, "advances minus declines"),
        Unit("index", "number", 1.0, True, 3, 1.0, "an index level, z-score or ratio"),
        Unit("", "number", 1.0, True, 3, 1.0, "a plain number"),
    )
}
"""Every unit a claim's evidence may carry: the claims' words and the claim-strength kernel read this
one table (a unit not listed is quoted as a plain signed number and scaled by its threshold)."""


def _ordinal(x: float) -> str:
    whole = round(x)
    if not math.isclose(x, whole, abs_tol=1e-9):
        return f"{x:.1f}th"
    suffix = "th" if 10 <= whole % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
    return f"{whole}{suffix}"


def quote(value: float, unit: str) -> str:
    """A value in the words of its unit: "+7.57 %" (a return), "74.67 %" (a share), "-41.13 pp" (a
    difference of shares or rates), "83rd percentile", "1669" (a count), "-0.367" (an index)."""
    u = UNITS.get(unit)
    if u is None:
        return f"{value:+.3f}"
    x = round(value * u.factor, u.digits) + 0.0  # + 0.0: no "-0.00"
    if u.quoted == "percentile":
        return f"{_ordinal(x)} percentile"
    number = f"{x:+.{u.digits}f}" if u.signed else f"{x:.{u.digits}f}"
    return {"%": f"{number} %", "pp": f"{number} pp"}.get(u.quoted, number)
