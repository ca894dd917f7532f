import math

import pytest

from wattlab import Claim, StudyError
from wattlab.study import Outcome, Study, all_studies, select


def _study(**kw):
    base = dict(id="t.x", paper="P", arxiv="0000.00000",
                claim=Claim("12× better", "ratio", "×", 12.0, trend_threshold=1.0),
                run=lambda ctx: Outcome(1.0), evidence="modelled", boundary="none")
    return Study(**{**base, **kw})


def test_judge_approx_with_bounded_trend():
    c = Claim("12× better", "ratio", "×", 12.0, rel_tol=0.1, trend_threshold=1.0)
    assert c.judge(12.5) == ("reproduced", pytest.approx(0.5 / 12))
    assert c.assess(5.0)[0] == "trend-reproduced"  # within ×3 of 12, right side of 1
    assert c.assess(36.0)[0] == "trend-reproduced"
    far = c.assess(2.0)  # right side of 1 but a factor 6 below: the trend rule cannot rescue it
    assert far.verdict == "not-reproduced" and far.direction_holds
    assert any("direction holds" in n for n in far.notes)
    assert c.assess(37.0)[0] == "not-reproduced"
    assert c.assess(0.8)[0] == "not-reproduced" and c.assess(0.8).direction_holds is False
    assert c.assess(None)[:2] == ("not-checkable-here", None)
    assert c.assess(math.nan)[0] == "not-checkable-here"


def test_a_claim_may_narrow_the_trend_factor():
    c = Claim("12×", "ratio", "×", 12.0, trend_threshold=1.0, trend_factor=1.5)
    assert c.assess(9.0)[0] == "trend-reproduced"
    assert c.assess(7.0)[0] == "not-reproduced"


def test_direction_from_setup_gets_no_trend_verdict():
    c = Claim("8B/1B", "ratio", "×", 3.6, rel_tol=0.06, trend_threshold=1.0,
              direction_from_setup=True)
    j = c.assess(5.0)
    assert j.verdict == "not-reproduced" and j.direction_holds
    assert any("from the set-up" in n for n in j.notes)
    assert c.assess(3.7)[0] == "reproduced"


def test_judge_at_least_and_at_most():
    assert Claim("≥10×", "r", "×", 10.0, rel_tol=0.0, kind="at_least").judge(30.0)[0] == "reproduced"
    assert Claim("≥10×", "r", "×", 10.0, rel_tol=0.0, kind="at_least").judge(9.0)[0] == "not-reproduced"
    assert Claim("≤1%", "r", "%", 1.0, rel_tol=0.0, kind="at_most").judge(0.5)[0] == "reproduced"


def test_only_measured_and_modelled_values_reproduce():
    c = Claim("57%", "saving", "%", 57.0, rel_tol=0.02)
    assert c.assess(57.1, evidence="measured")[0] == "reproduced"
    for kind in ("identity", "consistency", "paper-data"):
        j = c.assess(57.1, evidence=kind)
        assert j.verdict == kind and any("not an independent reproduction" in n for n in j.notes)
        assert c.assess(20.0, evidence=kind)[0] == "not-reproduced"


def test_interval_must_overlap_the_band_and_a_straddle_says_so():
    c = Claim("≈0.9", "acc", "1", 0.9, rel_tol=0.05)  # band [0.855, 0.945]
    inside = c.assess(0.9, (0.88, 0.92))
    assert inside.verdict == "reproduced" and not inside.straddles
    edge = c.assess(0.93, (0.90, 0.96))
    assert edge.verdict == "reproduced" and edge.straddles
    assert any("straddles" in n for n in edge.notes)
    out = c.assess(0.96, (0.94, 0.98))  # value outside, interval straddles the upper edge
    assert out.verdict == "not-reproduced" and out.straddles
    # a point inside the band whose interval lies wholly outside it is not reproduced
    assert c.assess(0.9, (0.95, 0.99))[0] == "not-reproduced"


@pytest.mark.parametrize("kw, field", [
    ({"claim": Claim("x", "r", "×", 12.0, trend_threshold=1.0, trend_factor=4.0)},
     "claim.trend_factor"),
    ({"evidence": None}, "evidence"),
    ({"evidence": "mixed"}, "evidence"),
    ({"boundary": ""}, "boundary"),
    ({"claim": Claim("x", "r", "×", 1.0, trend_threshold=1.0)}, "claim.trend_threshold"),
])
def test_bad_studies_fail_at_registration_naming_study_and_field(kw, field):
    with pytest.raises(StudyError, match=rf"study 't\.x'.*{field}"):
        _study(**kw)


def test_interval_lo_above_hi_is_an_error_naming_the_study():
    s = _study()
    with pytest.raises(StudyError, match=r"study 't\.x'.*outcome\.interval.*lo"):
        s.assess(Outcome(1.0, interval=(2.0, 1.0)))
    with pytest.raises(StudyError, match=r"outcome\.evidence"):
        s.assess(Outcome(1.0, evidence="guess"))  # type: ignore[arg-type]


def test_every_registered_study_names_its_evidence():
    studies = all_studies()
    kinds = {s.evidence for s in studies.values()}
    assert kinds <= {"measured", "modelled", "identity", "consistency", "paper-data"}
    assert studies["homodyne-ptp.throughput"].evidence == "identity"


def test_select_unknown_id_names_known_ones(monkeypatch):
    monkeypatch.setenv("WATTLAB_STUDIES", "tests.core.fake_studies")
    with pytest.raises(StudyError, match=r"fake\.kt"):
        select(["nope"])
    assert [s.id for s in select(["fake"])] == ["fake.kt", "fake.broken", "fake.unchecked"]


def test_bad_study_module_is_named(monkeypatch):
    monkeypatch.setenv("WATTLAB_STUDIES", "no_such_module_xyz")
    with pytest.raises(StudyError, match="no_such_module_xyz"):
        all_studies()
