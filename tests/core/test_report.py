from wattlab.report import gap_text, paper_text, slug, verdict_label


def test_paper_value_shows_its_kind():
    assert paper_text({"paper_value": 10.0, "unit": "x", "claim_kind": "at_least"}) == "≥ 10×"
    assert paper_text({"paper_value": 1.0, "unit": "x", "claim_kind": "at_most"}) == "≤ 1×"
    assert paper_text({"paper_value": 3.6, "unit": "×", "claim_kind": "approx"}) == "3.6×"
    assert paper_text({"paper_value": 0.5, "unit": "1", "claim_kind": "approx"}) == "0.5"


def test_gap_is_relative_unless_the_paper_value_is_zero():
    assert gap_text({"gap": 0.25, "paper_value": 4.0}) == "+25.0%"
    assert gap_text({"gap": 132.0, "paper_value": 0.0, "unit": "nats"}) == "+132 nats"
    assert gap_text({"gap": None}) == "—"
    assert gap_text({"gap": -0.5, "paper_value": 0.0, "unit": "1"}) == "-0.5"


def test_labels_and_file_names():
    assert verdict_label({"verdict": "consistency"}) == "consistency"
    assert verdict_label({"verdict": "reproduced", "straddles": True}) == \
        "reproduced (interval straddles the band)"
    assert verdict_label({"verdict": "not-reproduced", "decided_by": ["a.b"]}) == \
        "not-reproduced (decided by assumed a.b)"
    assert verdict_label({"error": "boom"}) == "error"
    assert verdict_label({"verdict": "not-checkable-here"}) == "not-checkable-here"
    assert slug("energy per request vs period") == "energy-per-request-vs-period"
