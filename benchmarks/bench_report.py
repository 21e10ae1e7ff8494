"""Report benchmarks: rendering one as-of date's desk report as HTML, Markdown and PDF (warm, in process).

Called by benchmarks/run.py with a home that already holds the initialised store. The monitor and the
agents run once (their cost is measured by bench_engine/bench_agents); what is timed here is the
report layer: drawing the dashboard charts, then laying the document out in each format.
"""

from __future__ import annotations

from datetime import date

from run import timed

from rotascope.analysis.service import Analyst
from rotascope.config import load_settings
from rotascope.monitor.run import build_monitor
from rotascope.report.chartdata import chart_data
from rotascope.report.charts import render_charts
from rotascope.report.command import gather
from rotascope.report.desk_sections import build_document
from rotascope.report.html import render_html
from rotascope.report.markdown import render_markdown
from rotascope.report.pdf import html_to_pdf
from rotascope.store.db import open_store

AS_OF = date(2024, 7, 19)


def run(home: str) -> list[tuple[str, list[float], str]]:
    """(name, wall times in seconds, note) rows for benchmarks/run.py."""
    settings = load_settings({"home": home})
    store = open_store(settings)
    try:
        monitor = build_monitor(store, settings)
        analyst = Analyst(store, settings, monitor)
        data = gather(analyst, analyst.session(AS_OF))
    finally:
        store.close()
    doc = build_document(data)
    page = render_html(doc)
    rows: list[tuple[str, list[float], str]] = [
        (
            "report charts (matplotlib PNG)",
            timed(lambda: render_charts(chart_data(monitor.panel, AS_OF)), 3),
            f"{len(data.charts)} charts, as of {AS_OF}",
        ),
        (
            "report html (document + layout)",
            timed(lambda: render_html(build_document(data)), 5),
            f"{len(page.encode()) / 1e6:.1f} MB self-contained",
        ),
        (
            "report md (document + layout)",
            timed(lambda: render_markdown(build_document(data), "c"), 5),
            "charts as PNG files",
        ),
    ]
    try:
        rows.append(("report pdf (WeasyPrint from html)", timed(lambda: html_to_pdf(page), 2), "A4"))
    except Exception as exc:  # PDF route not installed: report it, keep the other numbers
        rows.append(("report pdf (skipped)", [0.0], str(exc)))
    return rows


if __name__ == "__main__":
    import sys

    for name, times, note in run(sys.argv[1]):
        print(f"{name:<40} {min(times):8.3f} s  {note}")
