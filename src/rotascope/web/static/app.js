/* rotascope dashboard pages: fetch the JSON API and draw tables and charts (RotaCharts).
 *
 * Every text from the data goes in through text nodes (never innerHTML). Numbers are formatted the way
 * the terminal report formats them (see rotascope/report/terminal.py), and every number cell also keeps
 * the raw API value in data-value so tests can check the page against the API exactly.
 */
(function () {
  "use strict";
  const body = document.body;
  const page = body.dataset.page;
  const asOf = body.dataset.asOf || "";

  /* ------------------------------------------------------------------ helpers */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  const $ = (id) => document.getElementById(id);
  /* replaceChildren that also takes (nested) arrays of nodes */
  function fill(node, ...children) { node.replaceChildren(el("div", {}, ...children)); return node; }

  async function api(path) {
    const res = await fetch(path, { headers: { Accept: "application/json" } });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) throw new Error((data && data.detail) || `The server answered ${res.status} for ${path}.`);
    return data;
  }
  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    const s = q.toString();
    return s ? "?" + s : "";
  }
  function status(text) { const s = $("status"); s.textContent = text; s.hidden = !text; }
  function fail(err) {
    status("");
    const box = $("error");
    box.textContent = String(err && err.message ? err.message : err);
    box.hidden = false;
  }

  function pct(v, digits = 2, signed = true) {
    if (v === null || v === undefined) return "n/a";
    const s = (v * 100).toFixed(digits) + "%";
    return signed && v >= 0 ? "+" + s : s;
  }
  function num(v, digits = 2) {
    if (v === null || v === undefined) return "n/a";
    return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function quoted(v, unit) {
    // the claims' own words for shares, differences in pp and percentiles (rotascope.measures.quote)
    const x = v * 100;
    if (unit === "share") return x.toFixed(2) + " %";
    if (unit === "share_diff" || unit === "vol_diff") return (x >= 0 ? "+" : "") + x.toFixed(2) + " pp";
    const r = Math.round(x * 10) / 10;
    if (!Number.isInteger(r)) return r.toFixed(1) + "th percentile";
    const n = r % 100, suffix = n >= 10 && n <= 20 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[r % 10] || "th");
    return r + suffix + " percentile";
  }
  const QUOTED = ["share", "share_diff", "vol_diff", "percentile"];
  function evValue(e) {
    if (e.value === null) return "n/a";
    if (QUOTED.includes(e.unit)) return quoted(e.value, e.unit);
    if (e.unit === "fraction") return pct(e.value);
    if (e.unit === "pp") return (e.value >= 0 ? "+" : "") + e.value.toFixed(2) + " pp";
    if (["days", "count", "flag"].includes(e.unit)) return e.value.toFixed(0);
    return num(e.value);
  }
  function evThreshold(e) {
    if (e.threshold === null) return "";
    if (QUOTED.includes(e.unit)) return `${e.comparison} ${quoted(e.threshold, e.unit)}`;
    if (e.unit === "fraction") return `${e.comparison} ${pct(e.threshold, 1)}`;
    if (e.unit === "pp") return `${e.comparison} ${(e.threshold >= 0 ? "+" : "") + e.threshold.toFixed(2)} pp`;
    return `${e.comparison} ${e.threshold}`;
  }
  function mark(passed) {
    if (passed === null || passed === undefined) return el("span", { class: "mark unknown" }, "?");
    return passed ? el("span", { class: "mark pass" }, "PASS") : el("span", { class: "mark fail" }, "FAIL");
  }
  function cell(text, value, testid) {
    return el("td", { class: "num", "data-value": value === null || value === undefined ? "" : value, "data-testid": testid }, text);
  }
  function table(headers, rows, attrs) {
    return el("table", attrs || {},
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.map((r) => (r instanceof Node ? r : el("tr", {}, r.map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c))))))));
  }
  function evidenceTable(list) {
    return table(["evidence", "value", "rule", "", "as of", "window", "source"], list.map((e) =>
      el("tr", { "data-evidence": e.name },
        el("td", {}, e.name, e.note ? el("div", { class: "note" }, e.note) : null),
        cell(evValue(e), e.value),
        el("td", {}, evThreshold(e)),
        el("td", {}, mark(e.passed)),
        el("td", {}, e.as_of), el("td", {}, e.window), el("td", { class: "source" }, e.source))), { class: "evidence" });
  }
  function meta(asOfDate, source) {
    return el("p", { class: "meta" }, `As of ${asOfDate} · source: ${source}`);
  }

  /* ---------------------------------------------------------------- dashboard */
  const WINDOWS = ["1w", "1m", "3m", "6m", "12m"];

  function rsTable(pairs) {
    return table(["pair", "ratio", ...WINDOWS, "vs 50d", "vs 200d", "weeks up 4/13"], pairs.map((p) =>
      el("tr", { "data-pair": p.pair },
        el("td", {}, p.pair),
        cell(p.ratio === null ? "n/a" : p.ratio.toFixed(4), p.ratio, `rs-${p.pair}-ratio`),
        WINDOWS.map((w) => cell(pct(p.returns[w]), p.returns[w], `rs-${p.pair}-${w}`)),
        cell(pct(p.dist_sma50), p.dist_sma50), cell(pct(p.dist_sma200), p.dist_sma200),
        el("td", { class: "num" }, p.persistence_4w === null ? "n/a" :
          `${pct(p.persistence_4w, 0, false)} / ${pct(p.persistence_13w, 0, false)}`))), { class: "rs" });
  }

  function ladderSummary(ladder) {
    return el("ol", { class: "ladder-summary", "data-reached": ladder.reached },
      ladder.levels.map((l) => el("li", { class: l.passed ? "pass" : "fail", "data-level": l.level },
        mark(l.passed), ` Level ${l.level}: ${l.name}`, l.proxy ? el("span", { class: "note" }, ` (proxy: ${l.proxy})`) : null)));
  }

  function killersBlock(killers, withEvidence) {
    return el("div", {}, killers.map((k) => el("div", { class: "killer", "data-killer": k.key },
      el("h3", {}, k.triggered ? el("span", { class: "mark fail" }, "TRIGGERED") :
        (k.triggered === null ? el("span", { class: "mark unknown" }, "?") : el("span", { class: "mark pass" }, "quiet")), ` ${k.name}`),
      el("p", { class: "rule" }, `Trigger: ${k.trigger}`),
      withEvidence ? evidenceTable(k.evidence) : null)));
  }

  function breadthTable(list) {
    const rows = [
      ["members with data", (b) => [String(b.members_with_data), b.members_with_data]],
      ["advances / declines", (b) => [`${b.advances} / ${b.declines}`, null]],
      ["% above 50-day", (b) => [pct(b.pct_above_50, 1, false), b.pct_above_50]],
      ["… 20 days ago", (b) => [pct(b.pct_above_50_20d_ago, 1, false), b.pct_above_50_20d_ago]],
      ["% above 200-day", (b) => [pct(b.pct_above_200, 1, false), b.pct_above_200]],
      ["new highs / lows", (b) => [`${b.new_highs} / ${b.new_lows}`, null]],
      ["McClellan oscillator", (b) => [num(b.mcclellan_oscillator), b.mcclellan_oscillator]],
      ["A/D line vs 50-day avg", (b) => [num(b.ad_line_vs_sma50, 0), b.ad_line_vs_sma50]],
      ["breadth thrust EMA", (b) => [num(b.thrust_ema, 3), b.thrust_ema]],
      ["last thrust", (b) => [b.last_thrust || "none", null]],
      ["sectors improving", (b) => [b.sector_participation === null ? "n/a" : pct(b.sector_participation, 0, false), b.sector_participation]],
    ];
    return el("div", {},
      table(["measure", ...list.map((b) => b.universe)], rows.map(([label, f]) =>
        el("tr", {}, el("td", {}, label), list.map((b) => { const [t, v] = f(b); return cell(t, v, `breadth-${b.universe}-${label}`); })))),
      el("p", { class: "caveat" }, list.length ? list[0].caveat : ""));
  }

  function macroTable(macro) {
    return table(["measure", "value", "unit", "observation date"], Object.keys(macro.values).sort().map((k) =>
      el("tr", {}, el("td", {}, k), cell(macro.values[k] === null ? "n/a" : num(macro.values[k], 3), macro.values[k], `macro-${k}`),
        el("td", {}, macro.units[k] || ""), el("td", {}, macro.observed[k] || ""))));
  }

  /* The factor lenses as report/factorview.py lays them out: each lens over 1-12 months with its data date. */
  const FACTOR_LENSES = [["smb", "size (SMB)"], ["hml", "value (HML)"], ["rmw", "profitability (RMW)"],
    ["cma", "investment (CMA)"], ["mom", "momentum (MOM)"]];
  function factorTable(snap) {
    const seen = snap.factors_observed || {};
    return table(["factor lens", "1m", "3m", "6m", "12m", "data through"], FACTOR_LENSES.map(([key, label]) =>
      el("tr", { "data-factor": key }, el("td", {}, label),
        ["1m", "3m", "6m", "12m"].map((w) => cell(pct(snap.factors[`${key}_${w}`], 1), snap.factors[`${key}_${w}`])),
        el("td", {}, seen[`${key}_1m`] || "n/a"))));
  }

  async function dashboard() {
    const [mon, charts] = await Promise.all([api("/api/monitor" + query({ as_of: asOf })), api("/api/charts" + query({ as_of: asOf }))]);
    const snap = mon.snapshot, reg = mon.regime;
    const iwm = snap.pairs.find((p) => p.pair === "IWM/SPY");
    const fired = reg.killers.filter((k) => k.triggered).length;
    $("summary").replaceChildren(
      el("div", { class: "card" }, el("span", { class: "k" }, "as of"), el("span", { class: "v", "data-testid": "as-of" }, mon.as_of)),
      el("div", { class: "card" }, el("span", { class: "k" }, "ladder reached"),
        el("span", { class: "v", "data-testid": "ladder-reached", "data-value": reg.ladder.reached }, `${reg.ladder.reached} of ${reg.ladder.levels.length}`)),
      el("div", { class: "card" }, el("span", { class: "k" }, "IWM/SPY 1m"),
        el("span", { class: "v", "data-value": iwm.returns["1m"] }, pct(iwm.returns["1m"]))),
      el("div", { class: "card" }, el("span", { class: "k" }, "killers triggered"), el("span", { class: "v", "data-value": fired }, String(fired))),
      el("div", { class: "card" }, el("span", { class: "k" }, "source"), el("span", { class: "v" }, snap.source)));
    $("ladder-summary").replaceChildren(meta(reg.ladder.as_of, snap.source), ladderSummary(reg.ladder),
      el("p", {}, el("a", { href: "/ladder" + query({ as_of: asOf }) }, "Every number behind the ladder →")));
    $("rs-table").replaceChildren(meta(mon.as_of, snap.source), rsTable([...snap.pairs, ...snap.sectors]));
    const byKey = Object.fromEntries(charts.charts.map((c) => [c.key, c]));
    for (const fig of document.querySelectorAll("figure[data-chart]")) {
      const key = fig.dataset.chart;
      if (key === "rrg") {
        RotaCharts.rrg(fig, charts.rotation, { asOf: charts.as_of, source: charts.source, tailed: charts.tailed });
      } else if (byKey[key]) {
        RotaCharts.line(fig, byKey[key], { asOf: charts.as_of, source: charts.source, right: fig.dataset.right ? [fig.dataset.right] : [] });
      } else {
        fig.replaceChildren(el("figcaption", {}, `No ${key} chart in the data as of ${charts.as_of}.`));
      }
    }
    $("breadth-table").replaceChildren(meta(mon.as_of, snap.source), breadthTable(snap.breadth));
    $("macro-table").replaceChildren(meta(mon.as_of, snap.source + " (FRED series as known on the as-of date)"), macroTable(snap.macro));
    $("factor-table").replaceChildren(meta(mon.as_of, "Fama-French data library (published monthly, with a lag)"),
      factorTable(snap));
    $("killers").replaceChildren(meta(mon.as_of, snap.source), killersBlock(reg.killers, false));
    const val = await api("/api/valuation" + query({ as_of: asOf }));
    $("valuation-table").replaceChildren(valuationBlock(val));
    status(`Showing ${mon.as_of} (source: ${snap.source}).`);
  }

  /* the valuation lens: the same rows and sentences as the terminal (report/valuationview.py) */
  function valuationBlock(v) {
    if (!v) return el("p", {}, "No Fama-French portfolio data stored: run `rotascope init`.");
    const pcts = (p) => p ? [[p.all, "all"], [p.y30, "30y"], [p.y10, "10y"]].filter((x) => x[0] !== null)
      .map((x) => `${Math.round(x[0] * 100)}% ${x[1]}`).join(", ") : "n/a";
    const num = (x, d) => (x === null || x === undefined) ? "n/a" : x.toFixed(d);
    const rows = [
      ["BE/ME small / big (spread)", v.spread, num(v.spread, 2), pcts(v.spread_percentile)],
      ["  at current prices (rolled from June)", v.spread_now, num(v.spread_now, 2), pcts(v.spread_now_percentile)],
      ["OP small - big (relative profitability)", v.relative_profitability,
        v.relative_profitability === null ? "n/a" : (v.relative_profitability >= 0 ? "+" : "") + num(v.relative_profitability, 3),
        pcts(v.relative_profitability_percentile)],
      ...v.financing.map((f) => [f.observed ? `${f.name}, ${f.observed}` : f.name, f.value, num(f.value, 2),
        f.percentile === null ? "n/a" : `${Math.round(f.percentile * 100)}% since ${f.since}`]),
    ];
    const table = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "measure"), el("th", {}, "value"), el("th", {}, "percentile"))),
      el("tbody", {}, rows.map((r) => el("tr", {}, el("td", {}, r[0]), el("td", { class: "num", "data-value": r[1] }, r[2]), el("td", { class: "num" }, r[3])))));
    return el("div", {}, meta(v.as_of, `Fama-French 6 portfolios, data ${v.data_date.slice(0, 7)} (known ${v.known_at})`), table,
      el("p", { "data-testid": "valuation-rule" }, v.rule), ...v.notes.map((n) => el("p", {}, n)),
      ...earningsYieldBlock(v.earnings_yield));
  }

  /* the SimFin earnings yields beside the lens: the same columns as the terminal (earnings_yield_rows) */
  function earningsYieldBlock(ey) {
    if (!ey) return [];
    const pct = (x) => `${(x * 100).toFixed(2)}%`;
    const pp = (x) => (x === null ? "n/a" : `${x >= 0 ? "+" : ""}${x.toFixed(2)} pp`);
    const head = ["index", "earnings yield", "minus Baa yield", "minus HY-yield proxy", "members covered"];
    const rows = ey.readings.map((r) => [`${r.universe}, ${r.data_date}`, pct(r.value), pp(r.minus_baa_pp),
      pp(r.minus_hy_pp), `${r.covered.toLocaleString("en-US")} of ${r.members.toLocaleString("en-US")} (${Math.round(100 * r.covered / r.members)}%)`]);
    const table = el("table", { "data-testid": "earnings-yield" },
      el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => el("td", i ? { class: "num" } : {}, c))))));
    return [el("h3", {}, "Earnings yield vs financing (SimFin, trailing four quarters; financials absent)"), table,
      el("p", {}, `Earnings yield: ${ey.definition}.`), ...ey.notes.map((n) => el("p", {}, n))];
  }

  /* ------------------------------------------------------------------- ladder */
  async function ladderPage() {
    const mon = await api("/api/monitor" + query({ as_of: asOf }));
    const reg = mon.regime, src = mon.snapshot.source;
    fill($("ladder"),
      el("p", { class: "lead", "data-testid": "ladder-reached", "data-value": reg.ladder.reached },
        `Reached level ${reg.ladder.reached} of ${reg.ladder.levels.length} (a level counts only when every level below it passed).`),
      meta(reg.ladder.as_of, src),
      reg.ladder.levels.map((l) => el("section", { class: "level " + (l.passed ? "pass" : "fail"), "data-level": l.level },
        el("h2", {}, mark(l.passed), ` Level ${l.level}: ${l.name}`),
        el("p", { class: "rule" }, `Rule: ${l.rule}`),
        l.proxy ? el("p", { class: "note" }, `Judged on a proxy: ${l.proxy}`) : null,
        evidenceTable(l.evidence),
        el("p", { class: "next" }, `Next check: ${l.next_check}`))));
    fill($("checklist"),meta(mon.as_of, src), reg.checklist.map((c) => el("div", { class: "check", "data-check": c.key },
      el("h3", {}, mark(c.passed), ` ${c.question}`), evidenceTable(c.evidence))));
    $("killers").replaceChildren(meta(mon.as_of, src), killersBlock(reg.killers, true));
    status(`Showing ${mon.as_of} (source: ${src}).`);
  }

  /* ---------------------------------------------------------------- analysis */
  /* The risk plan as the desk reads it: the same (item, text) rows, worded the same way, as
     rotascope.report.riskdesk.risk_rows in the terminal and the HTML/Markdown reports (a browser test
     checks the two agree row for row). */
  const ATR_WORDS = {
    wilder_true_range_14: "Wilder ATR-14 of the true range (stored highs/lows)",
    close_to_close_14: "close-to-close ATR-14 (closes only: Wilder average of |Δclose|)",
  };
  function signed(v, digits) { return (v >= 0 ? "+" : "-") + num(Math.abs(v), digits); }
  function level(v, unit) {
    if (v === null || v === undefined) return "n/a";
    if (unit === "fraction") return pct(v, 1, false);
    if (unit === "pp") return v.toFixed(2) + " pp";
    if (unit === "%" || unit === "percent") return v.toFixed(2) + " %";
    if (unit === "ratio") return v.toFixed(4);
    return num(v, 2);
  }
  function invalidationRow(i) {
    if (i.level === null || i.current === null) return [i.name, "not enough history to set a level"];
    let room = "";
    if (i.distance !== null && i.current) room = `; ${pct(Math.abs(i.distance / i.current), 1, false)} ${i.distance >= 0 ? "room" : "past it"}`;
    const state = i.breached ? " — BREACHED" : "";
    return [i.name, `wrong ${i.direction} ${level(i.level, i.unit)} (now ${level(i.current, i.unit)}${room})${state}`];
  }
  function stressRow(r) {
    if (r.pair_return === null) return [r.scenario, "not estimable"];
    const rng = r.pair_return_low !== null && r.pair_return_high !== null ? ` (range ${pct(r.pair_return_low, 1)} to ${pct(r.pair_return_high, 1)})` : "";
    const pnl = r.pnl !== null ? `; P&L ${signed(r.pnl, 0)} on ${num(r.position_notional, 0)}` : "";
    const breaks = r.new_breaches.length ? `; breaches ${r.new_breaches.join(", ")}` : "";
    return [r.scenario, `pair ${pct(r.pair_return, 1)}${rng}${pnl}${breaks}`];
  }
  function riskRows(v) {
    const rows = [];
    if (v.price !== null) rows.push(["price", `${v.subject} ${num(v.price, 2)} at the close of ${v.as_of}`]);
    if (v.atr !== null) rows.push(["ATR", `${num(v.atr, 2)}${v.price ? ` (${pct(v.atr / v.price, 1, false)} of the close)` : ""}: ${ATR_WORDS[v.atr_method]}`]);
    if (v.stop !== null) rows.push(["stop (2 × ATR)", `${num(v.stop, 2)}${v.stop_distance !== null ? ` (${pct(v.stop_distance, 1)} from the close)` : ""}`]);
    if (v.realised_vol_63d !== null) {
      rows.push(["volatility", `63-day ${pct(v.realised_vol_63d, 1, false)} vs target ${pct(v.vol_target, 0, false)}${v.vol_weight !== null ? ` → weight ${v.vol_weight.toFixed(2)}` : ""}`]);
    }
    if (v.position !== null) rows.push(["position", `${pct(v.position, 2)} of equity`]);
    const s = v.sizing;
    if (s) {
      rows.push(["pair sizing", `a full tilt is long IWM / short SPY ${pct(s.satellite_tilt, 1, false)} of equity (${num(s.pair_notional, 0)} per ` +
        `${num(s.capital, 0)}); pair vol ${pct(s.vol_used, 1, false)} (${s.vol_window_used}) vs target ` +
        `${pct(s.target_vol, 0, false)}; IWM overweight ${s.iwm_overweight_shares} shares, stop ${num(s.stop, 2)}`]);
    }
    v.invalidation.forEach((i) => rows.push(invalidationRow(i)));
    const p = v.plan;
    if (p) {
      rows.push(["horizon", `${p.horizon_weeks} weeks, reviewed ${p.review_every}`]);
      rows.push(["drawdown limit", `${pct(p.drawdown_limit, 1, false)}: ${p.drawdown_rule}`]);
      p.exit_rules.forEach((rule) => rows.push(["exit rule", rule]));
    }
    v.stress.forEach((r) => rows.push(stressRow(r)));
    v.not_available.forEach((note) => rows.push(["not available", note]));
    rows.push(["price basis", v.price_basis]);
    return rows;
  }
  function riskDesk(v) {
    if (v === null || v === undefined) return el("p", { class: "note" }, "The decision carries no risk controls.");
    return table(["item", "value"], riskRows(v).map(([item, text]) => el("tr", { class: "risk-row" },
      el("td", { class: "key" }, item), el("td", {}, text))), { class: "risk", "data-testid": "risk" });
  }

  function opinionBlock(o) {
    return el("div", { class: "opinion", "data-agent": o.agent },
      el("h3", {}, `${o.agent}: ${o.stance}`, el("span", { class: "note" }, ` score ${o.score.toFixed(2)}, confidence ${o.confidence.toFixed(2)} — ${o.lens}`)),
      o.data_note ? el("p", { class: "note" }, o.data_note) : null,
      o.claims.map((c) => el("div", { class: "claim", "data-claim": c.id },
        el("p", {}, el("strong", {}, `[${c.direction}] `), c.text, el("span", { class: "note" }, ` (weight ${c.weight}, strength ${c.strength})`)),
        evidenceTable(c.evidence))),
      o.risks.length ? el("ul", { class: "risks" }, o.risks.map((r) => el("li", {}, r))) : null);
  }

  /* where the probabilities came from: worded as rotascope/report/calibview.py words them */
  function signed3(v) { return (v >= 0 ? "+" : "") + v.toFixed(3); }
  function calibrationLines(d) {
    const c = d.calibration;
    if (c) {
      const skill = c.brier_skill_oos === null ? "n/a" : signed3(c.brier_skill_oos);
      const model = c.model_brier_skill_oos === null || c.model_brier_skill_oos === undefined ? "n/a" : signed3(c.model_brier_skill_oos);
      return [`Calibration (${c.horizon_weeks} weeks, ${c.method}): model weight ${c.model_weight.toFixed(2)}, ` +
        `out-of-sample Brier skill ${skill} against the expanding climatology over ${c.n_oos} calls (the ` +
        `model alone ${model} against the base rates), expected relative return ` +
        `${pct(c.expected_relative_return)}.`, c.note].concat(c.base_rate_source ? [c.base_rate_source] : []);
    }
    if (d.base_rates) return [d.base_rates.note];
    return [];
  }

  function renderAnalysis(a, target) {
    const d = a.decision;
    const finals = a.debate.final;
    target.replaceChildren(
      el("section", { class: "decision", "data-analysis": a.id },
        el("h2", {}, `Decision on ${a.subject}: `, el("span", { "data-testid": "stance" }, d.stance), ` (${d.mode})`),
        el("p", { class: "meta" }, `As of ${a.as_of} · analysis ${a.id} · config ${a.config_hash} · data ${a.data_fingerprint}`),
        table(["direction", "conviction", "tilt", "ladder reached", "killers triggered"], [[
          el("td", { "data-testid": "direction" }, d.direction),
          cell(d.conviction.toFixed(2), d.conviction, "conviction"), cell(pct(d.tilt), d.tilt, "tilt"),
          cell(a.ladder_reached === null ? "n/a" : String(a.ladder_reached), a.ladder_reached),
          el("td", {}, a.killers_triggered.length ? a.killers_triggered.join(", ") : "none")]]),
        el("h3", {}, "Scenarios"),
        table(["scenario", "probability", "base rate", "track record", "outcome", "summary", "requires"], d.scenarios.map((s) => el("tr", { "data-scenario": s.name },
          el("td", {}, s.name), cell(pct(s.probability, 0, false), s.probability, `scenario-${s.name}`),
          cell(pct(s.base_rate, 0, false), s.base_rate, `base-rate-${s.name}`),
          el("td", { class: "record" }, s.track_record ? s.track_record.text : "n/a"),
          el("td", {}, s.outcome || "n/a"), el("td", {}, s.summary),
          el("td", {}, el("ul", {}, s.requires.map((r) => el("li", {}, r))))))),
        el("div", { class: "calibration", "data-testid": "calibration" }, calibrationLines(d).map((line) => el("p", {}, line))),
        el("h3", {}, "Rationale"), el("ul", {}, d.rationale.map((r) => el("li", {}, r))),
        el("h3", {}, "Risk plan"),
        riskDesk(d.risk)),
      el("section", {}, el("h2", {}, "Agents after the debate"),
        table(["agent", "stance", "score", "confidence"], finals.map((o) => el("tr", { "data-agent": o.agent },
          el("td", {}, o.agent), el("td", {}, o.stance), cell(o.score.toFixed(2), o.score), cell(o.confidence.toFixed(2), o.confidence))))),
      el("section", { class: "transcript" }, el("h2", {}, "Debate transcript"),
        a.debate.rounds.length === 0 ? el("p", {}, "No challenges: no agent's data contradicted another's strong claims.") : null,
        a.debate.rounds.map((r) => el("div", { class: "round", "data-round": r.round },
          el("h3", {}, `Round ${r.round}`),
          r.challenges.length === 0 ? el("p", { class: "note" }, "No challenges this round.") : null,
          el("ol", {}, r.challenges.map((c, i) => {
            const ans = r.answers[i];
            return el("li", { class: "exchange" },
              el("p", { class: "challenge" }, el("strong", {}, `${c.by} → ${c.to_agent}: `), c.argument),
              c.counter_evidence.length ? evidenceTable(c.counter_evidence) : null,
              ans ? el("p", { class: "answer " + ans.outcome }, el("strong", {}, `${ans.by} ${ans.outcome}: `), ans.argument) : null);
          })),
          r.confidence_changes.length ? el("ul", { class: "conf" }, r.confidence_changes.map((c) =>
            el("li", {}, `${c.agent}: confidence ${c.before.toFixed(2)} → ${c.after.toFixed(2)} (${c.rule})`))) : null))),
      el("section", {}, el("h2", {}, "Opinions before the debate (with their evidence)"), a.opinions.map(opinionBlock)),
      el("section", { class: "caveats" }, el("h2", {}, "Caveats"), el("ul", {}, a.caveats.map((c) => el("li", {}, c))),
        el("p", { class: "disclaimer" }, a.disclaimer)));
  }

  async function debatePage() {
    status("Running the agents and their debate…");
    const a = await api("/api/analysis" + query({ as_of: asOf }));
    renderAnalysis(a, $("analysis"));
    status(`Universe analysis as of ${a.as_of} (not stored; \`rotascope analyze\` stores it).`);
  }

  async function stockPage() {
    const symbol = body.dataset.symbol;
    if (!symbol) { status("Enter a stock symbol (a Russell 2000 member, e.g.) and an optional as-of date."); return; }
    status(`Debating ${symbol}…`);
    const a = await api("/api/debate/" + encodeURIComponent(symbol) + query({ as_of: asOf }));
    renderAnalysis(a, $("analysis"));
    status(`Single-stock debate on ${a.subject} as of ${a.as_of} (not stored; \`rotascope debate\` stores it).`);
  }

  /* ------------------------------------------------------------------ history */
  function change(v, digits, asPct) {
    if (v === null || v === undefined) return "";
    return asPct ? pct(v, digits) : (v >= 0 ? "+" : "") + v.toFixed(digits);
  }

  /* The run-to-run diff: the same record (rotascope.report.diff.AnalysisDiff) as `rotascope diff A B`. */
  function renderDiff(d) {
    const evText = (v, unit) => (v === null ? "—" : evValue({ value: v, unit: unit }));
    const fixed = (v, digits) => (v === null ? "n/a" : v.toFixed(digits));
    const numRow = (label, n, show, delta, testid) => [label, show(n.old), show(n.new), cell(delta(n.delta), n.delta, testid)];
    const level = (v) => (v === null ? "n/a" : String(v));
    const flipped = d.killers.map((k) => `${k.key} ${k.change}`);
    return el("div", { class: "diff", "data-a": d.a_id, "data-b": d.b_id },
      el("h2", {}, `Run ${d.a_id} (${d.a_as_of}) → run ${d.b_id} (${d.b_as_of})`),
      el("p", { class: "meta" }, `${d.subject.old} → ${d.subject.new}` + (d.subject.changed ? " (different subjects)" : "") +
        ` · ${d.kind} · config ${d.same_config ? "unchanged" : "changed"} · data ${d.same_data ? "unchanged" : "changed"}`),
      el("p", { class: "verdict", "data-testid": "diff-verdict", "data-broadening": d.broadening }, d.verdict),
      table(["", "A", "B", "change"], [
        numRow("ladder level", d.ladder, level, (x) => (x === null ? "" : (x >= 0 ? "+" : "") + x), "diff-ladder"),
        ["stance", d.stance.old, d.stance.new, d.stance.changed ? "changed" : ""],
        ["direction", d.direction.old, d.direction.new, d.direction.changed ? "changed" : ""],
        ["mode", d.mode.old, d.mode.new, d.mode.changed ? "changed" : ""],
        numRow("conviction", d.conviction, (x) => fixed(x, 2), (x) => change(x, 2), "diff-conviction"),
        numRow("tilt", d.tilt, (x) => pct(x), (x) => change(x, 1, true), "diff-tilt"),
        ...d.scenarios.map((s) => numRow(`P(${s.name})`, s, (x) => pct(x, 0, false), (x) => change(x, 0, true), `diff-p-${s.name}`)),
        numRow("bullish claims", d.bullish_claims, level, (x) => change(x, 0), "diff-bullish"),
        numRow("evidence passing", d.evidence_passing, level, (x) => change(x, 0), "diff-passing"),
        ["killers flipped", "", flipped.join(", ") || "none", ""],
      ]),
      el("h3", {}, "Agents (after the debate)"),
      table(["agent", "stance A", "stance B", "score A", "score B", "change", "confidence A", "confidence B"], d.agents.map((g) =>
        el("tr", { "data-agent": g.agent, class: g.stance.changed ? "changed" : "" },
          el("td", {}, g.agent), el("td", {}, g.stance.old), el("td", {}, g.stance.new),
          cell(fixed(g.score.old, 2), g.score.old), cell(fixed(g.score.new, 2), g.score.new), cell(change(g.score.delta, 2), g.score.delta),
          cell(fixed(g.confidence.old, 2), g.confidence.old), cell(fixed(g.confidence.new, 2), g.confidence.new)))),
      el("h3", {}, `Evidence that changed (${d.evidence.length} of ${d.evidence_compared} compared)`),
      table(["agent", "evidence", "A", "B", "", "", "source"], d.evidence.map((e) => el("tr", { "data-evidence": e.name },
        el("td", {}, e.agent), el("td", {}, e.name), cell(evText(e.old, e.unit), e.old), cell(evText(e.new, e.unit), e.new),
        el("td", {}, mark(e.passed_old)), el("td", {}, mark(e.passed_new)), el("td", { class: "source" }, e.source)))));
  }

  async function historyPage() {
    const rows = await api("/api/history");
    const picked = { a: null, b: null };
    const button = $("compare");
    const radio = (side, id) => {
      const r = el("input", { type: "radio", name: "run-" + side, value: id, "aria-label": `run ${side.toUpperCase()}` });
      r.addEventListener("change", () => { picked[side] = id; button.disabled = !(picked.a && picked.b); });
      return r;
    };
    if (!rows.length) {
      $("history-table").replaceChildren(el("p", {}, "No stored analyses yet: run `rotascope analyze` or `rotascope debate SYMBOL`."));
      status("");
      return;
    }
    $("history-table").replaceChildren(table(["A", "B", "id", "kind", "subject", "as of", "created (UTC)", "config", "data", ""],
      rows.map((r) => {
        const view = el("button", { type: "button", class: "link" }, "view");
        view.addEventListener("click", async () => {
          try { renderAnalysis(await api("/api/history/" + encodeURIComponent(r.id)), $("analysis")); } catch (e) { fail(e); }
        });
        return el("tr", { "data-id": r.id }, el("td", {}, radio("a", r.id)), el("td", {}, radio("b", r.id)),
          el("td", {}, el("code", {}, r.id)), el("td", {}, r.kind), el("td", {}, r.subject), el("td", {}, r.as_of),
          el("td", {}, r.created_at.replace("T", " ").slice(0, 19)), el("td", {}, el("code", {}, r.config_hash)),
          el("td", { class: "source" }, r.data_fingerprint), el("td", {}, view));
      }), { id: "history" }));
    button.addEventListener("click", async () => {
      try {
        const d = await api("/api/diff" + query({ a: picked.a, b: picked.b }));
        $("diff").replaceChildren(renderDiff(d));
      } catch (e) { fail(e); }
    });
    status(`${rows.length} stored analyses.`);
  }

  /* ---------------------------------------------------------------- backtests */
  function statsTable(list) {
    return table(["name", "start", "end", "CAGR", "vol", "Sharpe", "max drawdown", "turnover/yr", "trades"], list.map((s) => el("tr", { "data-strategy": s.name },
      el("td", {}, s.name), el("td", {}, s.start), el("td", {}, s.end), cell(pct(s.cagr), s.cagr), cell(pct(s.vol, 1, false), s.vol),
      cell(s.sharpe === null ? "n/a" : s.sharpe.toFixed(2), s.sharpe), cell(pct(s.max_drawdown), s.max_drawdown),
      cell(s.turnover_per_year === null ? "n/a" : s.turnover_per_year.toFixed(1), s.turnover_per_year), cell(String(s.trades), s.trades))));
  }

  function renderBacktest(id, r) {
    const stats = (r.attribution && r.attribution.stats) || [];
    return el("div", { class: "backtest", "data-id": id },
      el("h2", {}, `Backtest ${id}`),
      el("p", { class: "meta" }, `Weekly as-of dates ${r.start} to ${r.end} (${r.weeks} weeks) · source: ${r.source} · data ${r.data_fingerprint}`),
      el("h3", {}, "Strategies"), statsTable(r.strategies || []),
      el("h3", {}, "Benchmarks"), statsTable(r.benchmarks || []),
      el("h3", {}, "Signal attribution (IWM minus SPY forward returns)"),
      table(["signal", "horizon (weeks)", "weeks", "fired", "edge", "hit rate", "base hit rate", "IC", "CI"], stats.map((s) => el("tr", {},
        el("td", {}, s.signal + (s.survivorship ? " *" : "")), cell(String(s.horizon_weeks), s.horizon_weeks), cell(String(s.weeks), s.weeks),
        cell(String(s.fired), s.fired), cell(pct(s.edge), s.edge), cell(pct(s.hit_rate, 0, false), s.hit_rate),
        cell(pct(s.base_hit_rate, 0, false), s.base_hit_rate), cell(s.ic === null ? "n/a" : s.ic.toFixed(3), s.ic),
        el("td", {}, s.ci_low === null ? "n/a" : `${pct(s.ci_low)} … ${pct(s.ci_high)}`)))),
      el("p", { class: "note" }, "* breadth-based signal: survivorship-biased."),
      el("h3", {}, "Caveats"), el("ul", {}, (r.caveats || []).map((c) => el("li", {}, c))),
      el("p", { class: "disclaimer" }, r.disclaimer || ""));
  }

  async function backtestsPage() {
    const rows = await api("/api/backtests");
    if (!rows.length) {
      $("backtest-table").replaceChildren(el("p", {}, "No stored backtests yet: run `rotascope backtest`."));
      status("");
      return;
    }
    $("backtest-table").replaceChildren(table(["id", "created (UTC)", "start", "end", "data", ""], rows.map((r) => {
      const view = el("button", { type: "button", class: "link" }, "view");
      view.addEventListener("click", async () => {
        try { const d = await api("/api/backtests/" + encodeURIComponent(r.id)); $("backtest").replaceChildren(renderBacktest(d.id, d.result)); } catch (e) { fail(e); }
      });
      return el("tr", { "data-id": r.id }, el("td", {}, el("code", {}, r.id)), el("td", {}, (r.created_at || "").replace("T", " ").slice(0, 19)),
        el("td", {}, r.start || ""), el("td", {}, r.end || ""), el("td", { class: "source" }, r.data_fingerprint || ""), el("td", {}, view));
    })));
    status(`${rows.length} stored backtest runs.`);
  }

  /* ---------------------------------------------------------------- screen */
  async function screenPage() {
    const r = await api("/api/screen" + query({ as_of: asOf, top: "100" }));
    const p = (v) => cell(pct(v, 1), v);
    const n = (v) => cell(num(v), v);
    fill($("screen"),
      el("p", { class: "lead", "data-testid": "screen-scored", "data-value": r.scored },
        `${r.scored} of ${r.members} members scored as of ${r.as_of}; the top ${r.rows.length} shown.`),
      table(["#", "symbol", "score", "quality", "momentum", "FY (known)", "EBIT margin", "ROA", "debt/assets",
        "accruals/assets", "beats (reports)", "mean surprise", "est. revision", "12-1m return"],
      r.rows.map((x) => el("tr", { "data-symbol": x.symbol },
        el("td", {}, String(x.rank)), el("td", {}, el("a", { href: "/stock" + query({ symbol: x.symbol, as_of: r.as_of }) }, x.symbol)),
        n(x.score), n(x.quality), n(x.momentum),
        el("td", {}, x.fiscal_year ? `FY${x.fiscal_year} (${x.fiscal_year_known_at})` : "—"),
        p(x.ebit_margin), p(x.roa), p(x.debt_assets), p(x.accruals_assets),
        cell(x.beat_rate === null ? "n/a" : `${pct(x.beat_rate, 0, false)} (${x.reports}, last ${x.last_report})`, x.beat_rate),
        p(x.mean_surprise), p(x.estimate_revision), p(x.ret_12_1))), { class: "screen" }),
      r.notes.map((t) => el("p", { class: "note" }, t)));
    fill($("unscored"), el("p", { "data-testid": "screen-unscored", "data-value": r.unscored.length },
      `${r.unscored.length} members: ${r.unscored.map((u) => u.symbol).join(", ")}`));
    status(`Showing ${r.as_of}.`);
  }

  const PAGES = { dashboard, ladder: ladderPage, debate: debatePage, stock: stockPage, screen: screenPage, history: historyPage, backtests: backtestsPage };
  const run = PAGES[page];
  if (run) {
    run().then(() => body.setAttribute("data-ready", "1"), (e) => { fail(e); body.setAttribute("data-ready", "error"); });
  }
})();
