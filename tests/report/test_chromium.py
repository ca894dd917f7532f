"""The HTML report in a real browser: no console errors, the summary figure and every study
section present after the page's scripts ran, and the page ready in under 2 s for 50 studies."""

from __future__ import annotations

import pytest

from wattlab.params import default_registry
from wattlab.report import write_report

from . import chromium
from .records import records

pytestmark = pytest.mark.skipif(
    chromium.find() is None,
    reason="headless Chromium absent (Debian: apt-get install chromium; scripts/setup.sh dev "
           "installs it as root)")


def test_report_of_50_studies_renders_without_console_errors(tmp_path):
    recs = records(50, 12, failed=2)
    write_report(recs, tmp_path, default_registry())
    page = chromium.open_page(tmp_path / "report.html")
    assert page.dom.strip(), "chromium returned no DOM"
    assert not page.console, page.console  # any console message is an error or a warning here
    assert 'id="summary-figure"' in page.dom
    for r in recs:
        assert f'<section class="study" id="{r["id"]}">' in page.dom
    # the inline script ran: the claim counter was filled and the ready mark set
    assert "50 of 50 claims" in page.dom
    assert page.ready_ms is not None and page.ready_ms < 2000, page.ready_ms
