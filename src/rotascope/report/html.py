"""The shareable desk report: its content (one neutral document model) and its HTML rendering.

Why one document model: the HTML, Markdown and PDF reports must say exactly the same thing. The content
is assembled once, here, by ``build_document`` from typed inputs (``ReportData``: the stored Analysis,
the monitor's snapshot and regime on the same as-of date, the rendered charts and the stored backtest's
attribution rows); ``render_html`` and ``rotascope.report.markdown.render_markdown`` only lay it out, and
the PDF is printed from the HTML.

HTML: one self-contained file (inline CSS, charts as base64 PNG, no script, no external URL), so it can
be mailed and opened offline. Every piece of text goes through ``html.escape``. Output is deterministic:
the same inputs give byte-identical HTML (no render timestamp; risk dicts are walked in sorted key order).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from rotascope.monitor.run import MonitorResult
from rotascope.records import Analysis, Evidence, Opinion, PairStrength
from rotascope.report.charts import ChartImage
from rotascope.report.riskdesk import risk_rows, stress_row
from rotascope.report.termkit import evidence_threshold, evidence_value, num, pct

DISCLAIMER = "Research tooling, not investment advice."
NO_BACKTEST = "No backtest stored: run `rotascope backtest`."
STATUS_WORDS = {"PASS": "pass", "FAIL": "fail", "TRIGGERED": "fail", "quiet": "pass", "n/a": "na"}
"""Cell texts the HTML colours (class names); everything else is plain text."""


# --------------------------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class BacktestVerdict:
    """The newest stored backtest run and its attribution rows for the signals that fire today."""

    run_id: str
    start: str
    end: str
    data_fingerprint: str
    stats: tuple[Mapping[str, object], ...]
    """SignalStat rows (as stored, JSON dicts) of the signals firing on the report's as-of date."""


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, gathered before rendering (rendering does no I/O)."""

    analysis: Analysis
    monitor: MonitorResult
    charts: tuple[ChartImage, ...] = ()
    fired_signals: tuple[str, ...] = ()
    """Backtest signal names (``ladder_l2``, ``killer_credit_widening``…) that fire on the as-of date."""
    backtest: BacktestVerdict | None = None


# ------------------------------------------------------------------------------------- document model
@dataclass(frozen=True)
class Para:
    """A paragraph of plain text."""

    text: str
    emphasis: bool = False


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of plain-text items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class TableBlock:
    """A table of plain-text cells with an optional caption above it and a note below it."""

    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    note: str = ""


@dataclass(frozen=True)
class FigureBlock:
    """A chart, referenced by its key in ``Document.charts``."""

    key: str
    title: str
    note: str = ""


Block = Para | Bullets | TableBlock | FigureBlock


@dataclass(frozen=True)
class Section:
    """A titled section; ``anchor`` is a stable id for links."""

    anchor: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    """The report's content, independent of the output format."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    charts: Mapping[str, ChartImage] = field(default_factory=dict)
    disclaimer: str = DISCLAIMER


# ---------------------------------------------------------------------------------------- formatting
def fmt_value(value: object) -> str:
    """Generic cell text for values of unknown shape (risk records, stored backtest rows)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={fmt_value(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, list | tuple):
        return "; ".join(fmt_value(v) for v in value)
    return str(value)


def mark(passed: bool | None) -> str:
    return "n/a" if passed is None else ("PASS" if passed else "FAIL")


def ev_text(e: Evidence) -> str:
    """'name value (threshold) PASS' in one line, for cells that cite evidence."""
    thr = evidence_threshold(e)
    return f"{e.name}: {evidence_value(e)}" + (f" ({thr})" if thr else "") + f" {mark(e.passed)}"


def _pairs(pairs: Iterable[PairStrength], caption: str) -> TableBlock:
    rows = []
    for p in pairs:
        weeks = (
            "n/a"
            if p.persistence_4w is None or p.persistence_13w is None
            else f"{round(p.persistence_4w * 4)}/4, {round(p.persistence_13w * 13)}/13"
        )
        rows.append(
            (
                p.pair,
                num(p.ratio, 4),
                *[pct(p.returns.get(w)) for w in ("1w", "1m", "3m", "6m", "12m")],
                pct(p.dist_sma50, 1),
                pct(p.dist_sma200, 1),
                weeks,
            )
        )
    head = ("pair", "ratio", "1w", "1m", "3m", "6m", "12m", "vs 50d", "vs 200d", "weeks up 4/13")
    return TableBlock(head, tuple(rows), caption)


# ------------------------------------------------------------------------------------------ sections
def _headline(data: ReportData) -> Section:
    a, d, snap = data.analysis, data.analysis.decision, data.monitor.snapshot
    facts = (
        ("subject", a.subject),
        ("analysis", f"{a.kind} {a.id}"),
        ("as of", str(a.as_of)),
        ("data source", f"{snap.source} (fingerprint {a.data_fingerprint})"),
        ("config hash", a.config_hash),
        ("evidence ladder", f"level {a.ladder_reached} of 5" if a.ladder_reached is not None else "n/a"),
        ("killers triggered", ", ".join(a.killers_triggered) or "none"),
        ("stance", d.stance),
        ("mode", d.mode),
        ("conviction", f"{d.conviction:+.2f} (P(bull) − P(bear))"),
        ("satellite tilt", f"{d.tilt:+.1%} of equity"),
    )
    lead = (
        f"{d.stance.capitalize()} — mode: {d.mode} — conviction {d.conviction:+.2f} — "
        f"as of {a.as_of} — data: {snap.source}."
    )
    return Section(
        "headline",
        "Headline",
        (Para(lead, emphasis=True), TableBlock(("item", "value"), facts), Bullets(tuple(d.rationale))),
    )


def _ladder(data: ReportData) -> Section:
    lad = data.monitor.regime.ladder
    blocks: list[Block] = [Para(f"Level {lad.reached} of 5 reached (every level below it passed).")]
    head = ("evidence", "value", "threshold", "pass", "as of", "window", "source")
    for lvl in lad.levels:
        rows = tuple(
            (
                e.name,
                evidence_value(e),
                evidence_threshold(e),
                mark(e.passed),
                str(e.as_of),
                e.window,
                e.source,
            )
            for e in lvl.evidence
        )
        note = f"Rule: {lvl.rule}. Next: {lvl.next_check}" + (f" {lvl.proxy}" if lvl.proxy else "")
        blocks.append(
            TableBlock(head, rows, f"Level {lvl.level}: {lvl.name} — {mark(lvl.passed)}", note=note)
        )
    return Section("ladder", "Evidence ladder", tuple(blocks))


def _dashboard(data: ReportData) -> Section:
    if not data.charts:
        return Section("charts", "Rotation dashboard", (Para("Charts were not rendered for this report."),))
    return Section(
        "charts", "Rotation dashboard", tuple(FigureBlock(c.key, c.title, c.note) for c in data.charts)
    )


def _relative(data: ReportData) -> Section:
    snap = data.monitor.snapshot
    rot_rows = tuple(
        (
            r.symbol,
            num(r.rs_ratio),
            num(r.rs_momentum),
            r.quadrant or "n/a",
            " → ".join(f"({num(p.rs_ratio, 1)}, {num(p.rs_momentum, 1)})" for p in r.tail[-4:]),
        )
        for r in sorted(snap.rotation, key=lambda r: (r.quadrant or "", r.symbol))
    )
    return Section(
        "relative",
        "Relative strength",
        (
            _pairs(snap.pairs, "Pairs: change of the price ratio (+ = numerator led)"),
            _pairs(snap.sectors, "Sectors vs SPY"),
            TableBlock(
                ("symbol", "RS-Ratio", "RS-Momentum", "quadrant", "tail (weekly, oldest first)"),
                rot_rows,
                "Relative rotation vs SPY (100 = neutral)",
            ),
        ),
    )


def _breadth(data: ReportData) -> Section:
    snap = data.monitor.snapshot
    bs = snap.breadth
    measures: list[tuple[str, list[str]]] = [
        ("members with data", [f"{b.members_with_data:,}" for b in bs]),
        ("advances / declines", [f"{b.advances:,} / {b.declines:,}" for b in bs]),
        ("A/D line vs its 50-day average", [num(b.ad_line_vs_sma50, 0) for b in bs]),
        ("McClellan oscillator", [num(b.mcclellan_oscillator, 1) for b in bs]),
        ("McClellan summation", [num(b.mcclellan_summation, 0) for b in bs]),
        ("% above 50-day", [pct(b.pct_above_50, 1, False) for b in bs]),
        ("% above 50-day 20 days ago", [pct(b.pct_above_50_20d_ago, 1, False) for b in bs]),
        ("% above 200-day", [pct(b.pct_above_200, 1, False) for b in bs]),
        ("new 52-week highs − lows", [f"{b.new_highs} − {b.new_lows} = {b.net_new_highs:+d}" for b in bs]),
        (
            "Zweig thrust EMA (last thrust)",
            [f"{num(b.thrust_ema, 3)} ({b.last_thrust or 'none'})" for b in bs],
        ),
        ("sectors improving", [pct(b.sector_participation, 0, False) for b in bs]),
        ("top-10 share of the 1m move", [pct(b.top10_concentration_1m, 1, False) for b in bs]),
    ]
    blocks: list[Block] = [
        TableBlock(
            ("measure", *[b.universe for b in bs]),
            tuple((name, *vals) for name, vals in measures),
            f"Breadth of member closes as of {snap.as_of}",
        )
    ]
    for b in bs:
        if b.sectors:
            blocks.append(
                TableBlock(
                    ("sector", "members", "% above 50-day", "20 days ago", "improving"),
                    tuple(
                        (
                            s.sector,
                            str(s.members),
                            pct(s.pct_above_50, 1, False),
                            pct(s.pct_above_50_20d_ago, 1, False),
                            fmt_value(s.improving),
                        )
                        for s in b.sectors
                    ),
                    f"{b.universe} sector participation",
                )
            )
    caveats = sorted({b.caveat for b in bs if b.caveat})
    blocks.append(
        Para("Survivorship caveat: " + " ".join(caveats) if caveats else "Survivorship caveat: n/a.")
    )
    return Section("breadth", "Breadth", tuple(blocks))


MACRO_ROWS = (
    ("ust_10y", "10-year yield"),
    ("ust_10y_chg_13w", "10-year yield, 13-week change"),
    ("ust_2y", "2-year yield"),
    ("curve_10y_2y", "2s10s curve"),
    ("curve_10y_3m", "3m10y curve"),
    ("hy_oas", "HY OAS"),
    ("hy_oas_chg_13w", "HY OAS, 13-week change"),
    ("hy_oas_pctile_5y", "HY OAS, 5-year percentile"),
    ("baa_spread", "Baa spread"),
    ("hyg_ief_vs_sma50", "HYG/IEF vs its 50-day average"),
    ("nfci", "Chicago Fed NFCI"),
    ("claims_yoy", "Initial claims 4-week average y/y"),
    ("cpi_core_yoy", "Core CPI y/y"),
    ("vix", "VIX"),
    ("vix_pctile_1y", "VIX, 1-year percentile"),
)


def _macro_value(key: str, value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit in ("fraction", "annualised"):
        return pct(value, 1, key.endswith("_vs_sma50") or key.endswith("_yoy"))
    if unit == "pp" or "_chg_" in key:
        return f"{value:+.2f} pp"
    return num(value) + (" %" if unit == "percent" else "")


def _rates(data: ReportData) -> Section:
    m = data.monitor.snapshot.macro
    rows = []
    for key, label in MACRO_ROWS:
        if key not in m.values:
            continue
        seen = m.observed.get(key)
        rows.append(
            (
                label,
                _macro_value(key, m.values.get(key), m.units.get(key, "")),
                str(seen) if seen else "close",
            )
        )
    return Section(
        "rates",
        "Rates and credit",
        (
            TableBlock(
                ("measure", "value", "observed"),
                tuple(rows),
                "Latest value known on the as-of date (observation date shown: staleness is visible)",
            ),
        ),
    )


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
    d = data.analysis.decision
    rows = tuple((s.name, f"{s.probability:.0%}", s.summary, "; ".join(s.requires)) for s in d.scenarios)
    return Section(
        "scenarios",
        "Bull / base / bear",
        (TableBlock(("scenario", "probability", "summary", "what has to be true"), rows),),
    )


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


def _killers(data: ReportData) -> Section:
    regime = data.monitor.regime
    rows = tuple(
        (
            k.name,
            "n/a" if k.triggered is None else ("TRIGGERED" if k.triggered else "quiet"),
            k.trigger,
            "; ".join(ev_text(e) for e in k.evidence),
        )
        for k in regime.killers
    )
    checks = tuple(
        (c.question, mark(c.passed), "; ".join(ev_text(e) for e in c.evidence)) for c in regime.checklist
    )
    return Section(
        "killers",
        "Rotation killers and checklist",
        (
            TableBlock(("killer", "status", "trigger", "now"), rows, "Rotation-killers watchlist"),
            TableBlock(("question", "answer", "evidence"), checks, "Rotation checklist"),
        ),
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
        rows = tuple(tuple(_stat_cell(k, s.get(k)) for k, _ in STAT_COLUMNS) for s in bt.stats)
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
        _headline(data),
        _ladder(data),
        _dashboard(data),
        _relative(data),
        _breadth(data),
        _rates(data),
        _opinions(data),
        _debate(data),
        _scenarios(data),
        _risk(data),
        _stress(data),
        _killers(data),
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


# ------------------------------------------------------------------------------------------------ HTML
CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 10pt; color: #1a1a1a;
       max-width: 1100px; margin: 0 auto; padding: 1em; }
h1 { font-size: 16pt; margin-bottom: 0.2em; }
h2 { font-size: 13pt; border-bottom: 2px solid #1f4e79; padding-bottom: 2px; margin-top: 1.4em;
     break-after: avoid; }
.sub { color: #555; font-size: 9pt; }
.lead { font-weight: bold; font-size: 11pt; }
.disclaimer { font-style: italic; border: 1px solid #999; padding: 0.3em 0.5em; }
table { border-collapse: collapse; margin: 0.6em 0 0.4em 0; width: 100%; font-size: 8.5pt; }
caption { text-align: left; font-weight: bold; padding: 2px 0; }
th, td { border: 1px solid #ccc; padding: 2px 4px; text-align: left; vertical-align: top; }
th { background: #eef2f7; }
tr { break-inside: avoid; }
td.pass { color: #1b7a1b; font-weight: bold; }
td.fail { color: #b22222; font-weight: bold; }
td.na { color: #a07000; }
p.note { color: #555; font-size: 8.5pt; margin-top: 0; }
figure { margin: 0.8em 0; break-inside: avoid; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: #555; }
nav ol { columns: 3; font-size: 9pt; }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_table(t: TableBlock) -> str:
    parts = ["<table>"]
    if t.caption:
        parts.append(f"<caption>{_e(t.caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in t.head) + "</tr></thead><tbody>")
    for row in t.rows:
        cells = []
        for cell in row:
            cls = STATUS_WORDS.get(cell)
            cells.append(f'<td class="{cls}">{_e(cell)}</td>' if cls else f"<td>{_e(cell)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    if t.note:
        parts.append(f'<p class="note">{_e(t.note)}</p>')
    return "\n".join(parts)


def _html_block(block: Block, charts: Mapping[str, ChartImage]) -> str:
    if isinstance(block, Para):
        return f'<p class="lead">{_e(block.text)}</p>' if block.emphasis else f"<p>{_e(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, TableBlock):
        return _html_table(block)
    image = charts.get(block.key)
    if image is None:
        return f"<p>{_e(block.title)}: chart not rendered.</p>"
    data = base64.b64encode(image.png).decode("ascii")
    caption = block.title + (f" — {block.note}" if block.note else "")
    return (
        f'<figure><img alt="{_e(block.title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def render_html(doc: Document) -> str:
    """One self-contained HTML page (inline CSS, base64 charts, no scripts, no external URLs)."""
    toc = "".join(f'<li><a href="#{_e(s.anchor)}">{_e(s.title)}</a></li>' for s in doc.sections)
    body = []
    for s in doc.sections:
        body.append(f'<section id="{_e(s.anchor)}"><h2>{_e(s.title)}</h2>')
        body.extend(_html_block(b, doc.charts) for b in s.blocks)
        body.append("</section>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(doc.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<h1>{_e(doc.title)}</h1>\n<p class="sub">{_e(doc.subtitle)}</p>\n'
        f'<p class="disclaimer">{_e(doc.disclaimer)}</p>\n'
        f"<nav><ol>{toc}</ol></nav>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def report_html(data: ReportData) -> str:
    """Convenience: ``render_html(build_document(data))``."""
    return render_html(build_document(data))
