"""The report at a glance (issue 18, part 3): summary figure, contents, grouped sections, cost
charts, failed studies with what to do, units as units; the Markdown structure is pinned."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest

from wattlab.params import default_registry
from wattlab.report import unit_text, with_unit, write_report
from wattlab.report.charts import cost_svg, ratio, summary_svg, tornado_svg

from .records import records

GOLDEN = Path(__file__).with_name("golden_report_md_structure.txt")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(records(7, 2), out, default_registry())
    return out


def structure(md: str) -> list[str]:
    """Headings, table headers and the fixed labels of report.md, in order (values dropped)."""
    lines = md.splitlines()
    out = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.startswith("#"):
            out.append(line)
        elif line.startswith("| ") and nxt.startswith("|---"):
            out.append("table: " + line)
        elif re.match(r"^(\d+\. |    - `)", line):
            out.append("toc: " + line.split(" — ")[0])
        elif line.startswith(("**What to do:**", "**The study failed**", "**Energy by component")):
            out.append("label: " + line[2:].split("**")[0].rstrip(":"))
    return out


def test_markdown_structure_matches_the_golden_file(report):
    got = structure((report / "report.md").read_text())
    if os.environ.get("WATTLAB_UPDATE_GOLDEN"):  # after a deliberate change: review the diff
        GOLDEN.write_text("\n".join(got) + "\n")
    assert got == GOLDEN.read_text().splitlines()


def test_markdown_tables_have_no_escaped_separators(report):
    md = (report / "report.md").read_text()
    assert "\\|" not in md.split("## Parameter sources used")[0]


def test_html_has_the_summary_figure_contents_and_every_study(report):
    html = (report / "report.html").read_text()
    assert '<svg id="summary-figure"' in html and 'id="toc"' in html
    for r in records(7, 2):
        assert f'<section class="study" id="{r["id"]}">' in html
        assert f'href="#{r["id"]}"' in html
    assert html.count('class="cost-chart"') == 3  # one chart per study with costs
    assert "<script>" in html and "src=\"http" not in html and "https://cdn" not in html


def test_html_is_well_formed(report):
    class Check(HTMLParser):
        VOID: ClassVar[set[str]] = {"meta", "br", "img", "input", "hr", "link", "rect",
                                    "circle", "line", "path", "polygon"}

        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag not in self.VOID:
                self.stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            pass

        def handle_endtag(self, tag):
            if tag in self.VOID:
                return
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
            self.stack.pop()

    c = Check()
    html = (report / "report.html").read_text()
    # the SVG elements close themselves or carry a <title>; p/li may close implicitly
    c.feed(re.sub(r"</?(p|li|ul|ol)\b[^>]*>", "", html))
    assert c.stack == []


def test_failed_study_shows_its_error_and_what_to_do(report):
    html = (report / "report.html").read_text()
    md = (report / "report.md").read_text()
    for text in (html, md):
        assert "The study failed" in text and "What to do:" in text
        assert "wattlab reproduce --only paper0.claim6 --jobs 1" in text
    assert "ValueError: boom" in html and "&lt;b&gt;" in html  # escaped
    assert "last lines of the traceback" in html


def test_units_are_shown_as_units():
    assert unit_text("1") == "" and unit_text("x") == "×" and unit_text("J") == "J"
    assert with_unit(10, "x") == "10×" and with_unit(0.5, "1") == "0.5"
    assert with_unit(None, "%") == "—" and with_unit(3.2, "J") == "3.2 J"


def test_no_dimensionless_one_in_the_report(report):
    md = (report / "report.md").read_text()
    claims = md.split("## Claims")[1].split("\n## ")[0]
    assert not re.search(r"\d 1 \|", claims)  # no '10 1' for a dimensionless value


def test_summary_figure_marks_every_claim():
    recs = records(8, 3)
    svg = summary_svg(recs)
    for r in recs:
        assert f'href="#{r["id"]}"' in svg
    with_ratio = [r for r in recs if ratio(r) is not None]
    assert svg.count("wattlab/paper = ") == len(with_ratio) >= 4
    assert "no value" in svg and "failed" in svg
    assert svg.count("fill-opacity=\"0.15\"") >= len(with_ratio)  # tolerance bands


def test_cost_chart_is_a_stacked_bar_per_cost():
    svg = cost_svg({"a": {"energy_j": {"x": 1.0, "y": 3.0}, "energy_total_j": 4.0},
                    "b": {"energy_j": {"x": 2.0}, "energy_total_j": 2.0}})
    assert svg.count("<title>") == 3 and "x: 1 J (25.0%)" in svg and "y: 3 J (75.0%)" in svg
    assert cost_svg({}) == "" and cost_svg({"z": {"energy_j": {"q": 0.0}}}) == ""


def _point(key, low, high, v_low, v_high, verdict_low="reproduced", verdict_high="reproduced"):
    return {"key": key, "nominal": 1.0, "low": low, "high": high, "value_low": v_low,
            "value_high": v_high, "verdict_low": verdict_low, "verdict_high": verdict_high,
            "unit": ""}


def test_tornado_draws_every_key_largest_swing_first_and_marks_the_flips():
    rec = {"id": "p.s", "metric": "gain", "unit": "x", "value": 2.0, "sensitivity_nominal": 2.0,
           "paper_value": 2.2, "tolerance": 0.25, "claim_kind": "approx",
           "decided_by": ["b.<big>"],
           "sensitivity": [_point("a.small", 0.5, 2.0, 1.9, 2.1),
                           _point("b.<big>", 0.5, 2.0, 1.0, 4.0, "not-reproduced", "not-reproduced"),
                           _point("c.none", 0.5, 2.0, None, None)]}
    svg = tornado_svg(rec)
    assert svg.startswith('<svg class="tornado"') and svg.endswith("</svg>")
    assert "b.&lt;big&gt;" in svg and "<big>" not in svg  # escaped
    assert svg.index("b.&lt;big&gt;") < svg.index("a.small")  # largest swing on top
    assert "c.none" not in svg  # no finite value: nothing to draw
    assert svg.count(">flips</text>") == 1
    assert svg.count('opacity="0.8"') == 4  # two ends for each drawn key
    assert "tolerance band" in svg and "paper 2.2" in svg
    assert tornado_svg({**rec, "sensitivity": []}) == ""

