"""The desk report as one self-contained HTML page (the layout of :mod:`rotascope.report.document`).

HTML: one self-contained file (inline CSS, charts as base64 PNG, no script, no external URL), so it can
be mailed and opened offline. Every piece of text goes through ``html.escape``. Output is deterministic:
the same inputs give byte-identical HTML (no render timestamp; risk dicts are walked in sorted key order).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from rotascope.report.charts import ChartImage
from rotascope.report.desk_sections import build_document
from rotascope.report.document import Block, Bullets, Document, Para, ReportData, TableBlock

STATUS_WORDS = {"PASS": "pass", "FAIL": "fail", "TRIGGERED": "fail", "quiet": "pass", "n/a": "na"}
"""Cell texts the HTML colours (class names); everything else is plain text."""


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
