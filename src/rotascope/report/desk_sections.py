"""Report sections about the desk's view: agents, debate, scenarios, risk, stress, backtest, sources and
caveats — and ``build_document``, which puts every section in desk order."""

from __future__ import annotations

from datetime import date

from rotascope.records import Opinion
from rotascope.report.calibview import SCENARIO_HEAD, calibration_lines, scenario_row
from rotascope.report.document import (
    DISCLAIMER,
    NO_BACKTEST,
    Block,
    Bullets,
    Document,
    Para,
    ReportData,
    Section,
    TableBlock,
    ev_text,
    fmt_value,
)
from rotascope.report.market_sections import (
    breadth,
    dashboard,
    headline,
    killers,
    ladder,
    rates,
    relative,
    valuation,
)
from rotascope.report.riskdesk import risk_rows, stress_row
from rotascope.report.termkit import pct


def _opinions(data: ReportData) -> Section:
    a = data.analysis
    final = {o.agent: o for o in a.debate.final}
    summary = []
    for o in a.opinions:
        f = final.get(o.agent, o)
        summary.append(
            (
                o.agent,
                o.lens,
                f"{o.stance} → {f.stance}",
                f"{o.score:+.2f} → {f.score:+.2f}",
                f"{o.confidence:.2f} → {f.confidence:.2f}",
            )
        )
    blocks: list[Block] = [
        TableBlock(
            ("agent", "lens", "stance", "score", "confidence"),
            tuple(summary),
            "Agents before → after the debate",
        )
    ]
    for o in a.opinions:
        blocks.extend(_opinion_blocks(o))
    return Section("agents", "Agents' opinions", tuple(blocks))


def _opinion_blocks(o: Opinion) -> list[Block]:
    rows = tuple(
        (
            c.id,
            c.text,
            c.direction,
            f"{c.weight:.2f}",
            f"{c.strength:.2f}",
            "; ".join(ev_text(e) for e in c.evidence) or "no evidence",
        )
        for c in o.claims
    )
    blocks: list[Block] = [
        TableBlock(
            ("claim", "text", "direction", "weight", "strength", "evidence"),
            rows,
            f"{o.agent}: {o.stance} (score {o.score:+.2f}, confidence {o.confidence:.2f})",
            note=o.data_note,
        )
    ]
    if o.risks:
        blocks.append(Bullets(tuple(f"{o.agent} risk: {r}" for r in o.risks)))
    return blocks


def _debate(data: ReportData) -> Section:
    blocks: list[Block] = []
    for rd in data.analysis.debate.rounds:
        answers = {(x.claim_id, x.challenger): x for x in rd.answers}
        rows = []
        for ch in rd.challenges:
            ans = answers.get((ch.claim_id, ch.by))
            rows.append(
                (
                    ch.by,
                    f"{ch.to_agent}: {ch.claim_id}",
                    ch.argument,
                    "; ".join(ev_text(e) for e in ch.counter_evidence),
                    f"{ch.strength:.2f}",
                    ans.outcome if ans else "unanswered",
                    (
                        ans.argument
                        + ("; " + "; ".join(ev_text(e) for e in ans.evidence) if ans.evidence else "")
                    )
                    if ans
                    else "",
                )
            )
        if rows:
            blocks.append(
                TableBlock(
                    ("challenger", "claim", "argument", "counter-evidence", "strength", "outcome", "answer"),
                    tuple(rows),
                    f"Round {rd.round}: challenges and answers",
                )
            )
        if rd.confidence_changes:
            blocks.append(
                TableBlock(
                    ("agent", "before", "after", "rule"),
                    tuple(
                        (c.agent, f"{c.before:.2f}", f"{c.after:.2f}", c.rule) for c in rd.confidence_changes
                    ),
                    f"Round {rd.round}: confidence changes",
                )
            )
    if not blocks:
        blocks.append(Para("No challenges were raised: the agents did not dispute each other's claims."))
    return Section("debate", "Debate transcript", tuple(blocks))


def _scenarios(data: ReportData) -> Section:
    """Each probability beside its base rate and track record, the outcome it is about, then where the
    probabilities came from (the model's out-of-sample Brier skill, or "no measurable edge")."""
    d = data.analysis.decision
    rows = tuple(
        (*scenario_row(s), s.outcome or "n/a", s.summary, "; ".join(s.requires)) for s in d.scenarios
    )
    head = (*SCENARIO_HEAD, "outcome", "summary", "what has to be true")
    blocks: list[Block] = [TableBlock(head, rows)]
    blocks += [Para(line) for line in calibration_lines(d)]
    return Section("scenarios", "Bull / base / bear", tuple(blocks))


def _risk(data: ReportData) -> Section:
    view = data.analysis.decision.risk
    if view is None:
        return Section("risk", "Risk controls", (Para("The decision carries no risk controls."),))
    rows = tuple(r for r in risk_rows(view) if r[0] not in {x.scenario for x in view.stress})
    return Section("risk", "Risk controls", (TableBlock(("item", "value"), rows),))


def _stress(data: ReportData) -> Section | None:
    view = data.analysis.decision.risk
    if view is None or not view.stress:
        return None
    rows = tuple(stress_row(r) for r in view.stress)
    return Section(
        "stress", "Stress tests", (TableBlock(("scenario", "estimate"), rows, "Stress scenarios"),)
    )


STAT_COLUMNS = (
    ("signal", "signal"),
    ("horizon_weeks", "h (weeks)"),
    ("weeks", "weeks"),
    ("fired", "fired"),
    ("mean_fired", "mean fwd when fired"),
    ("base_mean", "base mean"),
    ("edge", "edge"),
    ("ci_low", "90% CI low"),
    ("ci_high", "90% CI high"),
    ("hit_rate", "hit rate"),
    ("base_hit_rate", "base hit"),
    ("ic", "IC"),
    ("survivorship", "survivorship bias"),
)


def _stat_cell(key: str, value: object) -> str:
    if isinstance(value, float) and key in ("mean_fired", "base_mean", "edge", "ci_low", "ci_high"):
        return pct(value)
    if isinstance(value, float) and key in ("hit_rate", "base_hit_rate"):
        return pct(value, 1, False)
    if isinstance(value, float) and key == "ic":
        return f"{value:+.3f}"
    return fmt_value(value)


def _backtest(data: ReportData) -> Section:
    title = "The backtest's verdict on the signals that fired"
    fired = ", ".join(data.fired_signals) or "none"
    bt = data.backtest
    if bt is None:
        return Section("backtest", title, (Para(f"Signals firing today: {fired}."), Para(NO_BACKTEST)))
    blocks: list[Block] = [
        Para(
            f"Signals firing on {data.analysis.as_of}: {fired}. Stored backtest {bt.run_id} "
            f"({bt.start} to {bt.end}, data {bt.data_fingerprint}): forward IWM-minus-SPY returns when "
            "each signal fired, against the base rate over all weeks."
        )
    ]
    if bt.data_fingerprint != data.analysis.data_fingerprint:
        blocks.append(
            Para(
                f"The backtest ran on different data ({bt.data_fingerprint}) than this analysis "
                f"({data.analysis.data_fingerprint}); rerun `rotascope backtest` to refresh it."
            )
        )
    if bt.stats:
        rows = tuple(tuple(_stat_cell(k, getattr(s, k)) for k, _ in STAT_COLUMNS) for s in bt.stats)
        blocks.append(TableBlock(tuple(h for _, h in STAT_COLUMNS), rows, "Attribution of today's signals"))
    else:
        blocks.append(Para("The stored backtest has no attribution rows for the signals firing today."))
    return Section("backtest", title, tuple(blocks))


def _sources(data: ReportData) -> Section:
    snap, a = data.monitor.snapshot, data.analysis
    rows: list[tuple[str, str, str]] = [
        ("market data (ETF and member closes)", str(snap.as_of), f"{snap.source} ({snap.data_fingerprint})")
    ]
    for key, seen in sorted(snap.macro.observed.items()):
        rows.append((key, str(seen) if seen else "n/a", f"{snap.source}: series {key}"))
    seen_sources: dict[str, date] = {}
    evidence = [e for lvl in data.monitor.regime.ladder.levels for e in lvl.evidence]
    evidence += [e for o in a.opinions for c in o.claims for e in c.evidence]
    for e in evidence:
        if e.source not in seen_sources or e.as_of > seen_sources[e.source]:
            seen_sources[e.source] = e.as_of
    for src, day in sorted(seen_sources.items()):
        rows.append(("evidence source", str(day), src))
    return Section(
        "sources",
        "Data sources",
        (TableBlock(("item", "as of / observed", "source"), tuple(rows)),),
    )


def _caveats(data: ReportData) -> Section:
    seen: list[str] = []
    for c in (*data.analysis.caveats, *data.monitor.snapshot.caveats):
        if c not in seen:
            seen.append(c)
    for lvl in data.monitor.regime.ladder.levels:
        if lvl.proxy and lvl.proxy not in seen:
            seen.append(lvl.proxy)
    return Section("caveats", "Caveats", (Bullets(tuple(seen)) if seen else Para("None recorded."),))


def build_document(data: ReportData) -> Document:
    """The report's content in desk order: headline → evidence → agents → decision → risk → sources."""
    a = data.analysis
    sections = [
        headline(data),
        ladder(data),
        dashboard(data),
        relative(data),
        breadth(data),
        rates(data),
        valuation(data),
        _opinions(data),
        _debate(data),
        _scenarios(data),
        _risk(data),
        _stress(data),
        killers(data),
        _backtest(data),
        _sources(data),
        _caveats(data),
    ]
    kind = "single-stock report" if a.kind == "stock" else "small caps vs mega caps"
    return Document(
        title=f"rotascope — {a.subject} — as of {a.as_of}",
        subtitle=f"{kind}; analysis {a.id}; data {a.data_fingerprint}; config {a.config_hash}",
        sections=tuple(s for s in sections if s is not None),
        charts={c.key: c for c in data.charts},
        disclaimer=a.disclaimer or DISCLAIMER,
    )
