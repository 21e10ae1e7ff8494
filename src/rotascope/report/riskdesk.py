"""The risk plan as a desk reads it: labelled rows of percentages, prices and distances (no raw floats).

One function shared by the terminal, the HTML/PDF and Markdown reports, so every output words the same
numbers the same way; every row is generated from the :class:`~rotascope.records.RiskView` values.
"""

from __future__ import annotations

from rotascope.records import RiskView
from rotascope.risk.models import Invalidation, StressResult

ATR_WORDS = {
    "wilder_true_range_14": "Wilder ATR-14 of the true range (stored highs/lows)",
    "close_to_close_14": "close-to-close ATR-14 (closes only: Wilder average of |Δclose|)",
}


def level(value: float | None, unit: str) -> str:
    """A level in its unit: fractions as percent, pp as pp, ratios to 4 decimals, prices to 2."""
    if value is None:
        return "n/a"
    if unit == "fraction":
        return f"{value:.1%}"
    if unit == "pp":
        return f"{value:.2f} pp"
    if unit in ("%", "percent"):
        return f"{value:.2f} %"
    if unit == "ratio":
        return f"{value:.4f}"
    return f"{value:,.2f}"


def invalidation_row(i: Invalidation) -> tuple[str, str]:
    """'IWM/SPY ratio trend' → 'wrong below 0.4421 (now 0.4532; 2.5 % room) — breached'."""
    if i.level is None or i.current is None:
        return i.name, "not enough history to set a level"
    room = ""
    if i.distance is not None and i.current:
        share = abs(i.distance / i.current)
        room = f"; {share:.1%} {'room' if i.distance >= 0 else 'past it'}"
    state = " — BREACHED" if i.breached else ""
    return (
        i.name,
        f"wrong {i.direction} {level(i.level, i.unit)} (now {level(i.current, i.unit)}{room}){state}",
    )


def stress_row(r: StressResult) -> tuple[str, str]:
    """One stress scenario: pair return with its range, P&L on the position, new breaches."""
    if r.pair_return is None:
        return r.scenario, "not estimable"
    rng = (
        f" (range {r.pair_return_low:+.1%} to {r.pair_return_high:+.1%})"
        if r.pair_return_low is not None and r.pair_return_high is not None
        else ""
    )
    pnl = f"; P&L {r.pnl:+,.0f} on {r.position_notional:,.0f}" if r.pnl is not None else ""
    breaks = f"; breaches {', '.join(r.new_breaches)}" if r.new_breaches else ""
    return r.scenario, f"pair {r.pair_return:+.1%}{rng}{pnl}{breaks}"


def risk_rows(v: RiskView) -> list[tuple[str, str]]:
    """The desk table: (item, text) rows in reading order."""
    rows: list[tuple[str, str]] = []
    if v.price is not None:
        rows.append(("price", f"{v.subject} {v.price:,.2f} at the close of {v.as_of}"))
    if v.atr is not None:
        share = f" ({v.atr / v.price:.1%} of the close)" if v.price else ""
        rows.append(("ATR", f"{v.atr:,.2f}{share}: {ATR_WORDS[v.atr_method]}"))
    if v.stop is not None:
        dist = f" ({v.stop_distance:+.1%} from the close)" if v.stop_distance is not None else ""
        rows.append(("stop (2 × ATR)", f"{v.stop:,.2f}{dist}"))
    if v.realised_vol_63d is not None:
        weight = f" → weight {v.vol_weight:.2f}" if v.vol_weight is not None else ""
        rows.append(("volatility", f"63-day {v.realised_vol_63d:.1%} vs target {v.vol_target:.0%}{weight}"))
    if v.position is not None:
        rows.append(("position", f"{v.position:+.2%} of equity"))
    if v.sizing is not None:
        s = v.sizing
        rows.append(
            (
                "pair sizing",
                f"a full tilt is long IWM / short SPY {s.satellite_tilt:.1%} of equity "
                f"({s.pair_notional:,.0f} per {s.capital:,.0f}); pair vol {s.vol_used:.1%} "
                f"({s.vol_window_used}) vs target {s.target_vol:.0%}; "
                f"IWM overweight {s.iwm_overweight_shares} shares, stop {s.stop:,.2f}",
            )
        )
    rows.extend(invalidation_row(i) for i in v.invalidation)
    if v.plan is not None:
        p = v.plan
        rows.append(("horizon", f"{p.horizon_weeks} weeks, reviewed {p.review_every}"))
        rows.append(("drawdown limit", f"{p.drawdown_limit:.1%}: {p.drawdown_rule}"))
        rows.extend(("exit rule", rule) for rule in p.exit_rules)
    rows.extend(stress_row(r) for r in v.stress)
    rows.extend(("not available", note) for note in v.not_available)
    rows.append(("price basis", v.price_basis))
    return rows
