"""PDF report: printed from the HTML with WeasyPrint; its first page is rendered and must not be blank."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from rotascope.analysis.service import Analyst
from rotascope.config import Settings
from rotascope.monitor.run import Monitor
from rotascope.report.command import gather
from rotascope.report.html import report_html
from rotascope.report.pdf import html_to_pdf
from rotascope.store.db import open_store

pytest.importorskip("weasyprint", reason="PDF output needs WeasyPrint (pip install weasyprint)")
pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")


def test_pdf_first_page_is_not_blank(monitor: Monitor, loaded_settings: Settings, tmp_path: Path) -> None:
    store = open_store(loaded_settings)
    try:
        data = gather(a := Analyst(store, loaded_settings, monitor), a.session(date(2024, 7, 19)))
    finally:
        store.close()
    pdf = html_to_pdf(report_html(data))
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    pixels = np.asarray(mpimg.imread(str(pages[0])), dtype=np.float64)[..., :3]
    assert pixels.shape[0] > 300 and pixels.shape[1] > 200  # an A4 page at 50 dpi is ~413 x 585
    non_white = float((pixels.min(axis=2) < 0.9).mean())
    assert non_white > 0.01, f"first page is blank ({non_white:.2%} non-white pixels)"


def test_pdf_needs_no_network() -> None:
    """An external image is refused by the URL fetcher (data: URLs only) instead of being fetched."""
    pdf = html_to_pdf('<p>x</p><img src="http://127.0.0.1:9/x.png">')
    assert pdf.startswith(b"%PDF-")
