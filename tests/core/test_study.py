import math

import pytest

from wattlab import Claim, StudyError
from wattlab.study import all_studies, select


def test_judge_approx_with_trend_fallback():
    c = Claim("12× better", "ratio", "×", 12.0, rel_tol=0.1, trend_threshold=1.0)
    assert c.judge(12.5) == ("reproduced", pytest.approx(0.5 / 12))
    assert c.judge(5.0)[0] == "trend-reproduced"
    assert c.judge(0.8)[0] == "not-reproduced"
    assert c.judge(None) == ("not-checkable-here", None)
    assert c.judge(math.nan)[0] == "not-checkable-here"


def test_judge_at_least_and_at_most():
    assert Claim("≥10×", "r", "×", 10.0, rel_tol=0.0, kind="at_least").judge(30.0)[0] == "reproduced"
    assert Claim("≥10×", "r", "×", 10.0, rel_tol=0.0, kind="at_least").judge(9.0)[0] == "not-reproduced"
    assert Claim("≤1%", "r", "%", 1.0, rel_tol=0.0, kind="at_most").judge(0.5)[0] == "reproduced"


def test_select_unknown_id_names_known_ones(monkeypatch):
    monkeypatch.setenv("WATTLAB_STUDIES", "tests.core.fake_studies")
    with pytest.raises(StudyError, match=r"fake\.kt"):
        select(["nope"])
    assert [s.id for s in select(["fake"])] == ["fake.kt", "fake.broken", "fake.unchecked"]


def test_bad_study_module_is_named(monkeypatch):
    monkeypatch.setenv("WATTLAB_STUDIES", "no_such_module_xyz")
    with pytest.raises(StudyError, match="no_such_module_xyz"):
        all_studies()
