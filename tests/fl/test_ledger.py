"""The energy ledger: totals equal the sum of entries, exports agree, bad entries refused."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.systems.fl import EnergyLedger, Entry

_entry = st.builds(
    Entry, kind=st.sampled_from(["compute", "comm"]),
    phase=st.sampled_from(["uplink", "downlink", "client-train", "raw-upload"]),
    actor=st.sampled_from(["server", "client-0", "client-1"]), round=st.integers(0, 50),
    energy_j=st.floats(0, 1e6), flops=st.floats(0, 1e12), bits=st.floats(0, 1e12),
    sources=st.just(("fl.edge.power",)))


@settings(deadline=None, max_examples=50)
@given(st.lists(_entry, max_size=40))
def test_totals_are_the_sum_of_entries(entries: list[Entry]) -> None:
    ledger = EnergyLedger("t", list(entries))
    assert ledger.total_j == math.fsum(e.energy_j for e in entries)
    for attr in ("phase", "kind", "actor", "round"):
        assert math.isclose(math.fsum(ledger.by(attr).values()), ledger.total_j,
                            rel_tol=1e-12, abs_tol=1e-9)
    frame = ledger.to_frame()
    assert len(frame) == len(entries)
    assert math.isclose(frame["energy_j"].sum(), ledger.total_j, rel_tol=1e-9, abs_tol=1e-9)
    doc = json.loads(ledger.to_json())
    assert doc["total_j"] == ledger.total_j and len(doc["entries"]) == len(entries)


def test_cost_view_keeps_total_and_sources(params: Registry) -> None:
    ledger = EnergyLedger("t", [Entry("compute", "client-train", "client-0", 1, 2.0, flops=10,
                                      sources=("fl.edge.power", "fl.edge.flops")),
                                Entry("comm", "uplink", "client-0", 1, 3.0, bits=7,
                                      sources=("fl.lte.alpha_ul",))])
    cost = ledger.to_cost(params)
    assert cost.energy_total_j == ledger.total_j == 5.0
    assert cost.counts == {"ops": 10, "bits": 7}
    assert set(cost.sources) == {"fl.edge.power", "fl.edge.flops", "fl.lte.alpha_ul"}
    assert ledger.sum_of("bits", phase="uplink") == 7


@pytest.mark.parametrize(("kwargs", "field"), [({"energy_j": -1.0}, "energy_j"),
                                               ({"bits": math.nan}, "bits"),
                                               ({"round": -1}, "round")])
def test_bad_entries_are_refused(kwargs: dict[str, float], field: str) -> None:
    base = {"kind": "comm", "phase": "uplink", "actor": "client-0", "round": 0, "energy_j": 1.0}
    with pytest.raises(SpecError, match=field):
        Entry(**{**base, **kwargs})  # type: ignore[arg-type]
