"""The desk report as Markdown: the same document as the HTML report, laid out as Markdown tables.

Why: Markdown pastes into tickets, wikis and chat, and diffs well in git. Charts cannot be embedded in
plain Markdown, so they are returned as PNG files to write next to the ``.md`` (in ``<stem>_charts/``) and
referenced by relative path; with ``chart_dir=None`` they are left out with a note.

Text is escaped so that data (names, notes) can never inject markup: ``&``, ``<`` and ``>`` become
entities, and ``\\ ` * _ [ ] |`` are backslash-escaped; line breaks inside cells become spaces.
"""

from __future__ import annotations

from collections.abc import Mapping

from rotascope.report.charts import ChartImage
from rotascope.report.document import Block, Bullets, Document, FigureBlock, Para, TableBlock

_SPECIAL = "\\`*_[]|#"


def md_escape(text: str) -> str:
    """Markdown-safe inline text (no markup, no HTML, no table breaks)."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in out)
    return " ".join(out.splitlines())


def _table(t: TableBlock) -> list[str]:
    lines: list[str] = []
    if t.caption:
        lines += [f"**{md_escape(t.caption)}**", ""]
    lines.append("| " + " | ".join(md_escape(h) for h in t.head) + " |")
    lines.append("|" + "|".join("---" for _ in t.head) + "|")
    for row in t.rows:
        lines.append("| " + " | ".join(md_escape(c) for c in row) + " |")
    if t.note:
        lines += ["", f"*{md_escape(t.note)}*"]
    return lines


def _block(block: Block, charts: Mapping[str, ChartImage], chart_dir: str | None) -> list[str]:
    if isinstance(block, Para):
        return [f"**{md_escape(block.text)}**" if block.emphasis else md_escape(block.text)]
    if isinstance(block, Bullets):
        return [f"- {md_escape(i)}" for i in block.items]
    if isinstance(block, TableBlock):
        return _table(block)
    assert isinstance(block, FigureBlock)
    caption = md_escape(block.title + (f" — {block.note}" if block.note else ""))
    if chart_dir is None or block.key not in charts:
        return [f"*Chart omitted: {caption}.*"]
    return [f"![{caption}]({chart_dir}/{block.key}.png)", "", f"*{caption}*"]


def render_markdown(doc: Document, chart_dir: str | None = None) -> tuple[str, dict[str, bytes]]:
    """(Markdown text, {relative path: PNG bytes}) — write the files next to the ``.md`` to keep the
    chart links working. ``chart_dir`` is the folder name the links use (relative to the ``.md``)."""
    lines = [f"# {md_escape(doc.title)}", "", f"*{md_escape(doc.subtitle)}*", ""]
    lines += [f"> {md_escape(doc.disclaimer)}", "", "## Contents", ""]
    lines += [f"{i}. [{md_escape(s.title)}](#{s.anchor})" for i, s in enumerate(doc.sections, 1)]
    files: dict[str, bytes] = {}
    for s in doc.sections:
        lines += ["", f'<a id="{s.anchor}"></a>', "", f"## {md_escape(s.title)}", ""]
        for b in s.blocks:
            lines += [*_block(b, doc.charts, chart_dir), ""]
            if isinstance(b, FigureBlock) and chart_dir is not None and b.key in doc.charts:
                files[f"{chart_dir}/{b.key}.png"] = doc.charts[b.key].png
    text = "\n".join(lines).rstrip("\n") + "\n"
    return text, files
