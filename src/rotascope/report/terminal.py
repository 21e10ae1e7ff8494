"""Rich terminal rendering of the monitor: relative strength, rotation, breadth, macro, ladder, checklist."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rotascope.records import Analysis, Evidence, PairStrength, Regime, Snapshot
from rotascope.report.riskdesk import risk_rows

DISCLAIMER = "Research tooling, not investment advice."


def pct(value: float | None, digits: int = 2, signed: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.{digits}%}" if signed else f"{value:.{digits}%}"


def num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def mark(passed: bool | None) -> Text:
    if passed is None:
        return Text("?", style="yellow")
    return Text("PASS", style="green") if passed else Text("FAIL", style="red")


def evidence_value(e: Evidence) -> str:
    if e.value is None:
        return "n/a"
    if e.unit == "fraction":
        return pct(e.value)
    if e.unit == "pp":
        return f"{e.value:+.2f} pp"
    if e.unit in ("days", "count", "flag"):
        return f"{e.value:.0f}"
    return num(e.value)


def evidence_threshold(e: Evidence) -> str:
    if e.threshold is None:
        return ""
    if e.unit == "fraction":
        return f"{e.comparison} {pct(e.threshold, 1)}"
    if e.unit == "pp":
        return f"{e.comparison} {e.threshold:+.2f} pp"
    return f"{e.comparison} {e.threshold:g}"


def pairs_table(title: str, pairs: Iterable[PairStrength]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("pair", "1w", "1m", "3m", "6m", "12m", "vs 50d", "vs 200d", "weeks up 4/13"):
        table.add_column(col, justify="left" if col == "pair" else "right")
    for p in pairs:
        weeks = (
            "n/a"
            if p.persistence_4w is None or p.persistence_13w is None
            else (f"{round(p.persistence_4w * 4)}/4  {round(p.persistence_13w * 13)}/13")
        )
        table.add_row(
            p.pair,
            *[pct(p.returns.get(w)) for w in ("1w", "1m", "3m", "6m", "12m")],
            pct(p.dist_sma50, 1),
            pct(p.dist_sma200, 1),
            weeks,
        )
    return table


def render(snap: Snapshot, regime: Regime, console: Console) -> None:
    """Print the whole monitor."""
    console.print(
        Text(
            f"rotascope monitor — as of {snap.as_of} — source: {snap.source} (data {snap.data_fingerprint})",
            style="bold",
        )
    )
    lad = regime.ladder
    console.print(Text(f"Evidence ladder: level {lad.reached} of 5 reached", style="bold cyan"))
    console.print(pairs_table("Relative strength (change of the price ratio; + = numerator led)", snap.pairs))
    console.print(pairs_table("Sectors vs SPY", snap.sectors))

    rot = Table(title="Relative rotation vs SPY (RS-Ratio, RS-Momentum; 100 = neutral)", title_justify="left")
    for col in ("symbol", "RS-Ratio", "RS-Momentum", "quadrant", "tail (5-day steps, oldest first)"):
        rot.add_column(col)
    for r in sorted(snap.rotation, key=lambda r: (r.quadrant or "", r.symbol)):
        tail = " → ".join(f"({num(p.rs_ratio, 1)},{num(p.rs_momentum, 1)})" for p in r.tail[-4:])
        rot.add_row(r.symbol, num(r.rs_ratio), num(r.rs_momentum), r.quadrant or "n/a", tail)
    console.print(rot)

    bt = Table(title="Breadth (member closes; survivorship-biased, see caveats)", title_justify="left")
    bt.add_column("measure")
    for b in snap.breadth:
        bt.add_column(b.universe, justify="right")
    rows: list[tuple[str, list[str]]] = [
        ("members with data", [f"{b.members_with_data:,}" for b in snap.breadth]),
        ("advances / declines", [f"{b.advances:,} / {b.declines:,}" for b in snap.breadth]),
        ("A/D line vs its 50-day avg", [num(b.ad_line_vs_sma50, 0) for b in snap.breadth]),
        ("McClellan oscillator", [num(b.mcclellan_oscillator, 1) for b in snap.breadth]),
        ("McClellan summation", [num(b.mcclellan_summation, 0) for b in snap.breadth]),
        (
            "% above 50-day (20d ago)",
            [
                f"{pct(b.pct_above_50, 1, False)} ({pct(b.pct_above_50_20d_ago, 1, False)})"
                for b in snap.breadth
            ],
        ),
        ("% above 200-day", [pct(b.pct_above_200, 1, False) for b in snap.breadth]),
        (
            "new 52w highs − lows",
            [f"{b.new_highs} − {b.new_lows} = {b.net_new_highs:+d}" for b in snap.breadth],
        ),
        (
            "Zweig thrust EMA (last thrust)",
            [f"{num(b.thrust_ema, 3)} ({b.last_thrust or 'none'})" for b in snap.breadth],
        ),
        (
            "sectors improving",
            [
                pct(b.sector_participation, 0, False) if b.sector_participation is not None else "—"
                for b in snap.breadth
            ],
        ),
        (
            "top-10 share of 1m move",
            [
                pct(b.top10_concentration_1m, 1, False) if b.top10_concentration_1m is not None else "—"
                for b in snap.breadth
            ],
        ),
    ]
    for name, values in rows:
        bt.add_row(name, *values)
    console.print(bt)

    mt = Table(
        title="Rates, credit, conditions, volatility (latest value known on the as-of date)",
        title_justify="left",
    )
    for col in ("measure", "value", "observed"):
        mt.add_column(col, justify="right" if col == "value" else "left")
    v, obs = snap.macro.values, snap.macro.observed
    for key, label in (
        ("ust_10y", "10-year yield"),
        ("ust_10y_chg_13w", "  13-week change"),
        ("ust_2y", "2-year yield"),
        ("curve_10y_2y", "2s10s curve"),
        ("curve_10y_3m", "3m10y curve"),
        ("hy_oas", "HY OAS"),
        ("hy_oas_chg_13w", "  13-week change"),
        ("hy_oas_pctile_5y", "  5-year percentile"),
        ("baa_spread", "Baa spread"),
        ("hyg_ief_vs_sma50", "HYG/IEF vs 50-day avg"),
        ("nfci", "NFCI"),
        ("claims_yoy", "Claims 4wk avg y/y"),
        ("cpi_core_yoy", "Core CPI y/y"),
        ("vix", "VIX"),
        ("vix_pctile_1y", "  1-year percentile"),
        ("rv_iwm_21d", "IWM realised vol"),
        ("rv_spy_21d", "SPY realised vol"),
    ):
        unit = snap.macro.units.get(key, "")
        value = v.get(key)
        shown = (
            pct(value, 1, key.endswith("_vs_sma50") or key.endswith("_yoy"))
            if unit in ("fraction", "annualised")
            else (f"{value:+.2f} pp" if unit == "pp" and value is not None and "chg" in key else num(value))
        )
        seen = obs.get(key)
        mt.add_row(label, shown, str(seen) if seen else "market close")
    smb = ", ".join(f"{w} {pct(snap.factors.get(f'smb_{w}'), 1)}" for w in ("1m", "3m", "12m"))
    mt.add_row("SMB factor (Fama-French)", smb, "")
    console.print(mt)

    for lvl in lad.levels:
        t = Table(
            title=f"Level {lvl.level}: {lvl.name} — {'PASS' if lvl.passed else 'FAIL'}",
            title_justify="left",
            caption=f"Rule: {lvl.rule}. Next: {lvl.next_check}" + (f"\n{lvl.proxy}" if lvl.proxy else ""),
            caption_justify="left",
        )
        for col in ("evidence", "value", "threshold", "", "source"):
            t.add_column(col)
        for e in lvl.evidence:
            t.add_row(e.name, evidence_value(e), evidence_threshold(e), mark(e.passed), e.source)
        console.print(t)

    ck = Table(title="Rotation checklist", title_justify="left")
    for col in ("question", "answer", "evidence"):
        ck.add_column(col)
    for item in regime.checklist:
        ck.add_row(
            item.question,
            mark(item.passed),
            "; ".join(f"{e.name} {evidence_value(e)} ({evidence_threshold(e)})" for e in item.evidence),
        )
    console.print(ck)
    kt = Table(title="Rotation killers watchlist", title_justify="left")
    for col in ("killer", "status", "trigger", "now"):
        kt.add_column(col)
    for k in regime.killers:
        status = (
            Text("n/a", style="yellow")
            if k.triggered is None
            else (Text("TRIGGERED", style="bold red") if k.triggered else Text("quiet", style="green"))
        )
        kt.add_row(k.name, status, k.trigger, "; ".join(f"{e.name} {evidence_value(e)}" for e in k.evidence))
    console.print(kt)
    console.print(Text("Caveats", style="bold"))
    for caveat in snap.caveats:
        console.print(f"  • {caveat}")
    console.print(Text(DISCLAIMER, style="italic"))


def render_analysis(a: Analysis, console: Console) -> None:
    """Print an analysis: opinions, debate transcript, decision with scenarios and risk controls."""
    d = a.decision
    console.print(
        Text(
            f"rotascope {a.kind} analysis {a.id} — {a.subject} — as of {a.as_of} (data {a.data_fingerprint})",
            style="bold",
        )
    )
    if a.ladder_reached is not None:
        console.print(
            f"Evidence ladder: level {a.ladder_reached} of 5; killers triggered: "
            f"{', '.join(a.killers_triggered) or 'none'}"
        )
    ot = Table(title="Agent opinions (before → after debate)", title_justify="left")
    for col in ("agent", "lens", "stance", "score", "confidence", "key claims", "risks"):
        ot.add_column(col)
    final = {o.agent: o for o in a.debate.final}
    for o in a.opinions:
        f = final[o.agent]
        claims = (
            "\n".join(
                f"({c.direction[:4]}) {c.text}"
                for c in sorted(o.claims, key=lambda c: (-c.weight * c.strength, c.id))[:4]
            )
            or o.data_note
        )
        ot.add_row(
            o.agent,
            o.lens,
            f"{o.stance} → {f.stance}",
            f"{o.score:+.2f} → {f.score:+.2f}",
            f"{o.confidence:.2f} → {f.confidence:.2f}",
            claims,
            "\n".join(o.risks[:3]),
        )
    console.print(ot)
    for rd in a.debate.rounds:
        if not rd.challenges:
            continue
        dt = Table(title=f"Debate round {rd.round}", title_justify="left")
        for col in ("challenger", "claim challenged", "counter-evidence", "answer"):
            dt.add_column(col)
        answers = {(x.claim_id, x.challenger): x for x in rd.answers}
        for ch in rd.challenges:
            ans = answers[(ch.claim_id, ch.by)]
            e = ch.counter_evidence[0]
            dt.add_row(
                ch.by,
                f"{ch.to_agent}: {ch.claim_id.split('.', 1)[1]}",
                f"{e.name} {evidence_value(e)} ({evidence_threshold(e)})",
                f"{ans.outcome}: {ans.argument}",
            )
        console.print(dt)
    st = Table(
        title=f"Decision: {d.stance} — mode: {d.mode} — conviction {d.conviction:+.2f} — "
        f"satellite tilt {d.tilt:+.1%} of equity",
        title_justify="left",
    )
    for col in ("scenario", "probability", "what has to be true"):
        st.add_column(col)
    for s in d.scenarios:
        prob = f"{s.probability:.0%}"
        if s.base_rate is not None:  # calibrated (issue #11): base rate and track record beside it
            prob += f"\nbase rate {s.base_rate:.0%}" + (f"\n{s.track_record.text}" if s.track_record else "")
        what = "\n".join(([f"outcome: {s.outcome}"] if s.outcome else []) + s.requires)
        st.add_row(f"{s.name}: {s.summary}", prob, what)
    console.print(st)
    if d.calibration is not None:
        c = d.calibration
        skill = "n/a" if c.brier_skill_oos is None else f"{c.brier_skill_oos:+.3f}"
        console.print(
            Text(
                f"Calibration ({c.horizon_weeks} weeks, {c.method}): model weight {c.model_weight:.2f}, "
                f"out-of-sample Brier skill {skill} over {c.n_oos} calls, expected relative return "
                f"{c.expected_relative_return:+.2%}. {c.note}"
            )
        )
    if d.risk is not None:
        rt = Table(title="Risk controls", title_justify="left")
        rt.add_column("item")
        rt.add_column("value")
        for item, text in risk_rows(d.risk):
            rt.add_row(item, text)
        console.print(rt)
    console.print(Text("Why: " + "; ".join(d.rationale)))
    console.print(Text(DISCLAIMER, style="italic"))
