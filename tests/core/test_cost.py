import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wattlab import Cost, SpecError
from wattlab.params import default_registry

energy = st.dictionaries(st.sampled_from(["alu", "sram", "dram", "laser"]),
                         st.floats(0, 1e3, allow_nan=False), max_size=4)


def test_sequential_adds_energy_and_latency_and_keeps_area_max():
    a = Cost({"alu": 1.0}, 2.0, {"core": 3.0}, {"ops": 10})
    b = Cost({"alu": 0.5, "dram": 2.0}, 1.0, {"core": 1.0, "io": 1.0}, {"ops": 5})
    s = a + b
    assert s.energy_j == {"alu": 1.5, "dram": 2.0}
    assert s.latency_s == 3.0
    assert s.area_mm2 == {"core": 3.0, "io": 1.0}
    assert s.counts == {"ops": 15}


def test_parallel_takes_max_latency_and_adds_area():
    a = Cost({"x": 1.0}, 2.0, {"core": 3.0})
    b = Cost({"y": 1.0}, 5.0, {"core": 1.0})
    p = a | b
    assert p.latency_s == 5.0 and p.energy_total_j == 2.0 and p.area_mm2 == {"core": 4.0}


@given(energy, st.floats(0, 100), st.integers(0, 50))
def test_repetition_equals_repeated_sum(e, lat, n):
    c = Cost(e, lat, counts={"ops": 3.0})
    total = Cost()
    for _ in range(n):
        total = total + c
    r = c * n
    assert math.isclose(r.energy_total_j, total.energy_total_j, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(r.latency_s, total.latency_s, rel_tol=1e-9, abs_tol=1e-12)


def test_derived_metrics():
    c = Cost({"a": 2.0}, 4.0, counts={"ops": 8e12, "tokens": 4, "bits": 1e3})
    assert c.tops == 2.0
    assert c.tops_per_w == 4.0
    assert c.power_w == 0.5
    assert c.edp == 8.0
    assert c.j_per_token == 0.5
    assert c.j_per_bit == 2e-3


def test_boundary_includes_energy_components_and_declared_zeroes():
    c = Cost({"laser": 1.0}, boundary=frozenset({"adc"}))
    assert c.boundary == {"laser", "adc"}


def test_missing_count_is_an_error_naming_it():
    with pytest.raises(SpecError, match="'tokens'"):
        _ = Cost({"a": 1.0}, 1.0).j_per_token


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_negative_or_nonfinite_cost_rejected(bad):
    with pytest.raises(SpecError, match="alu"):
        Cost({"alu": bad})


def test_export_carries_sources_and_boundary():
    reg = default_registry()
    c = Cost({"thermal": 1.0}, 1.0, sources=reg.subset("phys.boltzmann"))
    d = c.to_dict()
    assert d["boundary"] == ["thermal"]
    assert d["sources"]["phys.boltzmann"]["evidence"] == "published"
    frame = c.to_frame()
    assert frame.loc["thermal", "share"] == 1.0
    assert "TOPS/W" not in c.summary()
