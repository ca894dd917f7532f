"""memoized: one computation per parameter set and process, the keys it read replayed into every
tracking registry (issue 18: shared simulations without losing the sensitivity pass's keys)."""

from __future__ import annotations

import pytest

from wattlab.errors import ParamError
from wattlab.params import default_registry
from wattlab.params.memo import memoized


def test_one_call_per_value_set_and_the_keys_replayed():
    calls: list[float] = []

    @memoized(maxsize=4)
    def kt(params, scale: float) -> float:
        k, t = params.values("phys.boltzmann", "phys.room_temperature")
        calls.append(t)
        return k * t * scale

    reg = default_registry()
    first = reg.tracking()
    assert kt(first, 2.0) == kt(reg, 2.0)
    assert len(calls) == 1
    assert first.used == {"phys.boltzmann", "phys.room_temperature"}
    again = reg.tracking()
    kt(again, 2.0)  # a hit: nothing read, yet the keys are recorded
    assert len(calls) == 1 and again.used == first.used
    kt(reg, 3.0)  # another argument
    hot = reg.with_value("phys.room_temperature", 350.0, "test")
    assert kt(hot, 2.0) > kt(reg, 2.0)  # another value of a key: computed afresh
    assert len(calls) == 3
    cited = reg.with_value("phys.boltzmann", reg.value("phys.boltzmann"), "another note")
    kt(cited, 2.0)  # same values, other provenance: the same result
    assert len(calls) == 3


def test_the_least_recently_used_result_is_dropped_first():
    calls: list[int] = []

    @memoized(maxsize=2)
    def double(params, x: int) -> int:
        calls.append(x)
        return 2 * x

    reg = default_registry()
    for x in (1, 2, 1, 3, 1, 2):  # 2 is the least recent when 3 arrives
        double(reg, x)
    assert calls == [1, 2, 3, 2]


def test_a_prefix_view_reads_only_its_keys_and_records_them():
    reg = default_registry().tracking()
    phys = reg.only("phys.")
    assert phys.value("phys.boltzmann") == reg.value("phys.boltzmann")
    assert "phys.boltzmann" in reg.used  # recorded in the parent's set
    with pytest.raises(ParamError):
        phys.value("fl.rail.adc_bits")
