"""The desk report as PDF, printed from the self-contained HTML report with WeasyPrint.

Why WeasyPrint: it is a Python library (no browser process to start and kill), it lays out the same HTML
and CSS (``@page`` A4 with margins) the HTML report uses, so the PDF says exactly what the HTML says.
It needs the system Pango library (Debian: ``libpango-1.0-0 libpangoft2-1.0-0``).

WeasyPrint is imported on demand: rotascope works without it, and ``--format pdf`` then fails with one
sentence saying what to install. The HTML has no external resources, so WeasyPrint never touches the
network (its URL fetcher is limited to ``data:`` URLs, the embedded charts, to make that a guarantee).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from rotascope.errors import RotascopeError

INSTALL_HINT = (
    "PDF output needs WeasyPrint and Pango: `pip install weasyprint` and "
    "`apt-get install libpango-1.0-0 libpangoft2-1.0-0` (or use --format html)."
)


def weasyprint_module() -> Any:
    """The weasyprint module, or one clear error saying what to install."""
    try:
        return importlib.import_module("weasyprint")
    except (ImportError, OSError):  # OSError: the Python package is there but Pango is not
        raise RotascopeError(INSTALL_HINT) from None


def html_to_pdf(html_text: str) -> bytes:
    """Print an HTML page (the report) to PDF bytes."""
    weasy = weasyprint_module()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    fetcher_cls = getattr(weasy, "URLFetcher", None)  # WeasyPrint >= 66; older ones: default fetcher
    kwargs = {"url_fetcher": fetcher_cls(allowed_protocols=("data",))} if fetcher_cls else {}
    try:
        pdf = weasy.HTML(string=html_text, **kwargs).write_pdf()
    except Exception as exc:  # WeasyPrint raises many types; the user gets one sentence
        raise RotascopeError(f"Cannot render the PDF: {type(exc).__name__}: {exc}.") from None
    if not isinstance(pdf, bytes):
        raise RotascopeError("Cannot render the PDF: WeasyPrint returned no bytes.")
    return pdf
