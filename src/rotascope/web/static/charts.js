/* rotascope charts: a small hand-written SVG module (no dependencies, works offline).
 *
 * RotaCharts.line(figure, chart, opts)  – time-series lines on a shared date axis; nulls break a line.
 * RotaCharts.rrg(figure, tails, opts)   – relative rotation graph: RS-Ratio (x) vs RS-Momentum (y), tails.
 *
 * Every drawn series is an SVG <path> with data-series (its name) and data-points (how many values it
 * draws), so a test can check that what is on screen is what the API sent. All text goes in through
 * textContent: nothing from the data is ever parsed as HTML.
 */
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#1f5fbf", "#d9822b", "#2e8b57", "#b03a48", "#7b4fa0", "#5f7d8c", "#c9a227", "#3aa6b9",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#9467bd", "#ff7f0e", "#2ca02c"];

  function svg(tag, attrs, parent) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function niceTicks(lo, hi, count) {
    if (!isFinite(lo) || !isFinite(hi)) return [];
    if (lo === hi) { lo -= 1; hi += 1; }
    const raw = (hi - lo) / Math.max(1, count);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }

  function fmt(v, unit) {
    if (v === null || v === undefined || !isFinite(v)) return "n/a";
    if (unit === "fraction") return (v * 100).toFixed(1) + "%";
    if (unit === "percent") return v.toFixed(2);
    const a = Math.abs(v);
    if (a >= 10000) return v.toLocaleString("en-US", { maximumFractionDigits: 0 });
    if (a >= 100) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    return v.toFixed(4);
  }

  /* a tick label with just enough decimals for the tick step */
  function tickLabel(v, step, unit) {
    const scale = unit === "fraction" ? 100 : 1;
    const digits = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step * scale) + 1e-9) + (String(step * scale).includes("25") ? 1 : 0)));
    const text = (v * scale).toFixed(digits);
    return unit === "fraction" ? text + "%" : text;
  }

  function extent(lines) {
    let lo = Infinity, hi = -Infinity;
    for (const l of lines) for (const v of l.values) if (v !== null && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (lo === Infinity) return null;
    const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
    return [lo - pad, hi + pad];
  }

  function caption(figure, title, asOf, source, note) {
    const cap = html("figcaption");
    cap.appendChild(html("strong", { class: "chart-title" }, title));
    cap.appendChild(html("span", { class: "chart-meta" }, " as of " + asOf + " · source: " + source));
    if (note) cap.appendChild(html("span", { class: "chart-note" }, " " + note));
    figure.appendChild(cap);
  }

  /* chart: {key,title,dates,lines:[{name,values,unit}],note}; opts: {asOf, source, right:[names]} */
  function line(figure, chart, opts) {
    const W = 720, H = 280, M = { l: 64, r: 64, t: 12, b: 28 };
    const right = new Set(opts.right || []);
    figure.replaceChildren();
    figure.setAttribute("data-key", chart.key);
    caption(figure, chart.title, opts.asOf, opts.source, chart.note);
    const n = chart.dates.length;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "line-chart",
      "aria-label": chart.title + " as of " + opts.asOf });
    figure.insertBefore(root, figure.firstChild.nextSibling);
    const leftLines = chart.lines.filter((l) => !right.has(l.name));
    const rightLines = chart.lines.filter((l) => right.has(l.name));
    const x = (i) => M.l + (n <= 1 ? 0 : (i * (W - M.l - M.r)) / (n - 1));
    const axes = [[leftLines, M.l, "start"], [rightLines, W - M.r, "end"]];
    const scales = new Map();
    for (const [ls, xpos, side] of axes) {
      const ext = extent(ls);
      if (!ext) continue;
      const y = (v) => M.t + (H - M.t - M.b) * (1 - (v - ext[0]) / (ext[1] - ext[0]));
      for (const l of ls) scales.set(l.name, y);
      const unit = ls[0].unit;
      const ticks = niceTicks(ext[0], ext[1], 5);
      const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
      for (const t of ticks) {
        if (side === "start") svg("line", { x1: M.l, x2: W - M.r, y1: y(t), y2: y(t), class: "grid" }, root);
        const label = svg("text", { x: side === "start" ? xpos - 6 : xpos + 6, y: y(t) + 4,
          "text-anchor": side === "start" ? "end" : "start", class: "tick" }, root);
        label.textContent = tickLabel(t, step, unit);
      }
    }
    const xticks = Math.min(6, n);
    for (let k = 0; k < xticks; k++) {
      const i = Math.round((k * (n - 1)) / Math.max(1, xticks - 1));
      const label = svg("text", { x: x(i), y: H - 8, "text-anchor": "middle", class: "tick" }, root);
      label.textContent = chart.dates[i];
    }
    svg("rect", { x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b, class: "frame" }, root);
    const legend = html("ul", { class: "legend" });
    chart.lines.forEach((l, idx) => {
      const y = scales.get(l.name);
      let d = "", points = 0, pen = false, last = null;
      l.values.forEach((v, i) => {
        if (v === null || !isFinite(v) || !y) { pen = false; return; }
        d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
        pen = true; points += 1; last = v;
      });
      const color = COLORS[idx % COLORS.length];
      svg("path", { d: d || "M0 0", class: "series", stroke: color, "data-series": l.name, "data-points": points,
        "data-axis": right.has(l.name) ? "right" : "left" }, root);
      const item = html("li", { "data-series": l.name });
      const sw = html("span", { class: "swatch" });
      sw.style.background = color;
      item.appendChild(sw);
      item.appendChild(document.createTextNode(l.name + (right.has(l.name) ? " (right axis)" : "") + ": "));
      item.appendChild(html("span", { class: "last", "data-value": last === null ? "" : last }, fmt(last, l.unit)));
      legend.appendChild(item);
    });
    figure.appendChild(legend);
    hover(figure, root, chart, x, W, M);
    return root;
  }

  function hover(figure, root, chart, x, W, M) {
    const tip = html("div", { class: "tip", hidden: "" });
    figure.appendChild(tip);
    const cursor = svg("line", { y1: M.t, y2: 280 - M.b, class: "cursor", visibility: "hidden" }, root);
    root.addEventListener("mousemove", (ev) => {
      const box = root.getBoundingClientRect();
      const px = ((ev.clientX - box.left) / box.width) * W;
      const n = chart.dates.length;
      const i = Math.max(0, Math.min(n - 1, Math.round(((px - M.l) / (W - M.l - M.r)) * (n - 1))));
      cursor.setAttribute("x1", x(i)); cursor.setAttribute("x2", x(i)); cursor.setAttribute("visibility", "visible");
      tip.textContent = chart.dates[i] + "  " + chart.lines.map((l) => l.name + " " + fmt(l.values[i], l.unit)).join(" · ");
      tip.hidden = false;
    });
    root.addEventListener("mouseleave", () => { tip.hidden = true; cursor.setAttribute("visibility", "hidden"); });
  }

  /* tails: [{symbol, rs_ratio:[], rs_momentum:[], dates:[]}]; opts: {asOf, source, tailed:[symbols]}.
     Every symbol's latest point is drawn (grey, labelled); only the `tailed` few (ChartData.tailed: IWM,
     IWN, KRE and a selected ETF) get their tail, in colour, with a legend — all tails at once were a tangle. */
  function rrg(figure, tails, opts) {
    const W = 720, H = 420, M = { l: 56, r: 16, t: 12, b: 36 };
    figure.replaceChildren();
    figure.setAttribute("data-key", "rrg");
    caption(figure, "Relative rotation graph vs SPY (RS-Ratio × RS-Momentum, tails 5 trading days apart)",
      opts.asOf, opts.source, opts.note || "");
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "rrg-chart",
      "aria-label": "Relative rotation graph as of " + opts.asOf });
    figure.insertBefore(root, figure.firstChild.nextSibling);
    const tailed = opts.tailed || [];
    const known = (t) => t.rs_ratio.map((v, i) => [v, t.rs_momentum[i], t.dates[i]]).filter((p) => p[0] !== null && p[1] !== null);
    let xs = [100], ys = [100];
    for (const t of tails) {
      const pts = known(t);
      for (const p of tailed.includes(t.symbol) ? pts : pts.slice(-1)) { xs.push(p[0]); ys.push(p[1]); }
    }
    const span = (arr) => Math.max(1, ...arr.map((v) => Math.abs(v - 100))) * 1.1;
    const sx = span(xs), sy = span(ys);
    const x = (v) => M.l + ((v - (100 - sx)) / (2 * sx)) * (W - M.l - M.r);
    const y = (v) => M.t + (1 - (v - (100 - sy)) / (2 * sy)) * (H - M.t - M.b);
    const quads = [["Improving", 100 - sx, 100 + sy, "improving"], ["Leading", 100, 100 + sy, "leading"],
      ["Lagging", 100 - sx, 100, "lagging"], ["Weakening", 100, 100, "weakening"]];
    for (const [name, qx, qy, cls] of quads) {
      svg("rect", { x: x(qx), y: y(qy), width: x(qx + sx) - x(qx), height: y(qy - sy) - y(qy), class: "quad " + cls }, root);
      const t = svg("text", { x: x(qx) + 6, y: y(qy) + 16, class: "quad-label" }, root);
      t.textContent = name;
    }
    for (const v of niceTicks(100 - sx, 100 + sx, 6)) {
      const t = svg("text", { x: x(v), y: H - 16, "text-anchor": "middle", class: "tick" }, root);
      t.textContent = v.toFixed(1);
    }
    for (const v of niceTicks(100 - sy, 100 + sy, 6)) {
      const t = svg("text", { x: M.l - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, root);
      t.textContent = v.toFixed(1);
    }
    const xl = svg("text", { x: (W + M.l) / 2, y: H - 2, "text-anchor": "middle", class: "axis-label" }, root);
    xl.textContent = "RS-Ratio";
    const yl = svg("text", { x: 12, y: H / 2, transform: `rotate(-90 12 ${H / 2})`, "text-anchor": "middle", class: "axis-label" }, root);
    yl.textContent = "RS-Momentum";
    const legend = html("ul", { class: "legend" });
    const order = [...tails.filter((t) => !tailed.includes(t.symbol)), ...tailed.map((s) => tails.find((t) => t.symbol === s)).filter(Boolean)];
    for (const t of order) {
      const on = tailed.includes(t.symbol);
      const color = on ? COLORS[tailed.indexOf(t.symbol) % COLORS.length] : "#8a8a8a";
      const g = svg("g", { class: "tail" + (on ? " highlight" : " latest-only"), "data-symbol": t.symbol }, root);
      const pts = known(t).map((p) => [x(p[0]), y(p[1]), p[2], p[0], p[1]]);
      const shown = on ? pts : pts.slice(-1);
      if (on) {
        svg("path", { d: pts.map((p, i) => (i ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1)).join("") || "M0 0",
          class: "series", stroke: color, "data-series": t.symbol, "data-points": pts.length }, g);
      }
      shown.forEach((p, i) => {
        const c = svg("circle", { cx: p[0], cy: p[1], r: i === shown.length - 1 ? (on ? 5 : 3.5) : 2.2, fill: color, class: "pt" }, g);
        const title = svg("title", {}, c);
        title.textContent = `${t.symbol} ${p[2]}: RS-Ratio ${p[3]}, RS-Momentum ${p[4]}`;
      });
      if (shown.length) {
        const last = shown[shown.length - 1];
        const lab = svg("text", { x: last[0] + 7, y: last[1] - 6, class: "pt-label" }, g);
        lab.textContent = t.symbol;
      }
    }
    for (const [name, color] of [...tailed.map((s, i) => [`${s} (tail, oldest → latest)`, COLORS[i % COLORS.length]]), ["others: latest point", "#8a8a8a"]]) {
      const item = html("li", { "data-series": name });
      const sw = html("span", { class: "swatch" });
      sw.style.background = color;
      item.appendChild(sw);
      item.appendChild(document.createTextNode(name));
      legend.appendChild(item);
    }
    figure.appendChild(legend);
    return root;
  }

  window.RotaCharts = { line, rrg, fmt };
})();
