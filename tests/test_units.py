"""wattlab.units: parsing with prefixes, formatting, round trips and errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.units import BASE_UNITS, PREFIXES, format_si, parse_quantity, to_si

KNOWN = [  # (value, unit, SI value, SI unit)
    (3.9, "pJ/bit", 3.9e-12, "J/bit"),
    (1.0, "GB/s", 8e9, "bit/s"),
    (1.0, "Gb/s", 1e9, "bit/s"),
    (2.0, "mW", 2e-3, "W"),
    (1.0, "kWh", 3.6e6, "J"),
    (50.0, "%", 0.5, "1"),
    (1.0, "mm2", 1e-6, "m2"),
    (1.0, "um2", 1e-12, "m2"),
    (1.0, "µs", 1e-6, "s"),
    (1.0, "us", 1e-6, "s"),
    (1.0, "nm", 1e-9, "m"),
    (2.0, "dB/cm", 200.0, "dB/m"),
    (1.0, "TOPS", 1e12, "op/s"),
    (1.0, "TFLOPS", 1e12, "op/s"),
    (1.0, "eV", 1.602176634e-19, "J"),
    (1.0, "J*s", 1.0, "J*s"),
    (1.0, "1/V/V", 1.0, "1/V/V"),
    (7.0, "", 7.0, "1"),
    (1.0, "min", 60.0, "s"),
]


@pytest.mark.parametrize(("value", "unit", "si", "si_unit"), KNOWN)
def test_known_conversions(value, unit, si, si_unit):
    got, got_unit = to_si(value, unit)
    assert got == pytest.approx(si, rel=1e-12)
    assert got_unit == si_unit


PREFIXABLE = ["J", "W", "s", "Hz", "bit", "V", "A", "F", "C", "K", "op", "B", "Wh"]


@given(st.sampled_from(sorted(PREFIXES)), st.sampled_from(PREFIXABLE),
       st.floats(-1e6, 1e6, allow_nan=False))
def test_prefix_multiplies_the_base(prefix, base, value):
    got, unit = to_si(value, prefix + base)
    factor, si = BASE_UNITS[base]
    assert unit == si
    assert got == pytest.approx(value * PREFIXES[prefix] * factor, rel=1e-12, abs=1e-300)


@given(st.sampled_from(sorted(PREFIXES)), st.sampled_from(sorted(PREFIXES)),
       st.sampled_from(["J", "W", "bit"]), st.sampled_from(["s", "Hz", "bit"]))
def test_quotients_divide(p_num, p_den, num, den):
    got, unit = to_si(1.0, f"{p_num}{num}/{p_den}{den}")
    assert unit == f"{BASE_UNITS[num][1]}/{BASE_UNITS[den][1]}"
    assert got == pytest.approx(PREFIXES[p_num] / PREFIXES[p_den], rel=1e-12)


SI_UNITS = ["J", "W", "s", "Hz", "bit", "J/bit", "W/Hz", "bit/s", "op/s", "V", "A", "F", "K",
            "J*s", "m"]


@given(st.floats(1e-23, 1e20), st.sampled_from(SI_UNITS), st.booleans())
def test_format_then_parse_round_trips(magnitude, unit, negative):
    value = -magnitude if negative else magnitude
    got, got_unit = parse_quantity(format_si(value, unit, digits=12))
    assert got_unit == unit
    assert got == pytest.approx(value, rel=1e-10)


@given(st.floats(1e-23, 1e20), st.integers(1, 6))
def test_format_keeps_the_digits_asked(value, digits):
    text = format_si(value, "J", digits=digits)
    got, _ = parse_quantity(text)
    assert got == pytest.approx(value, rel=10.0 ** (1 - digits))
    mantissa = float(text.split()[0])
    assert 1.0 <= abs(mantissa) < 1000.0 or mantissa in (1000.0,)  # engineering notation


def test_format_examples():
    assert format_si(3.9e-12, "J/bit") == "3.9 pJ/bit"
    assert format_si(2.05e12 * 8, "bit/s") == "16.4 Tbit/s"
    assert format_si(0.0, "J") == "0 J"
    assert format_si(math.inf, "W") == "inf W"
    assert format_si(0.25, "1") == "0.25"
    assert format_si(-174.0, "dBm") == "-174 dBm"
    assert format_si(1e-3, "s") == "1 ms"


def test_area_format_round_trips():
    value, unit = parse_quantity(format_si(1e-6, "m2"))
    assert (value, unit) == (pytest.approx(1e-6), "m2")


@pytest.mark.parametrize(("unit", "si"), [("meV", 1.602176634e-22), ("kOhm", 1e3)])
def test_prefixed_ev_and_ohm(unit, si):
    assert to_si(1.0, unit)[0] == pytest.approx(si)


@pytest.mark.parametrize("text", ["3.9 pJ/bit", "  3.9pJ/bit ", "3.9e0 pJ/bit", "+3.9 pJ/bit"])
def test_parse_quantity_forms(text):
    assert parse_quantity(text) == (pytest.approx(3.9e-12), "J/bit")


def test_parse_quantity_without_unit_is_dimensionless():
    assert parse_quantity("0.5") == (0.5, "1")


@pytest.mark.parametrize(("text", "fragment"), [
    ("pJ", "cannot parse quantity 'pJ'"),
    ("three pJ", "cannot parse quantity"),
    ("3.9 furlong", "unknown unit 'furlong'"),
    ("3.9 J//s", "empty numerator or denominator"),
    ("1 cm2", "unknown unit 'cm2'"),  # prefixes do not square: only mm2/um2 are special-cased
    ("1 kdB", "unknown unit 'kdB'"),
])
def test_parse_errors_name_the_problem(text, fragment):
    with pytest.raises(SpecError, match=fragment.replace("(", r"\(")):
        parse_quantity(text)


def test_trailing_slash_is_rejected():
    with pytest.raises(SpecError):
        to_si(1.0, "pJ/")


@given(st.text(alphabet="xyzqwQWZ_", min_size=1, max_size=6))
def test_unknown_atoms_are_errors_not_numbers(unit):
    try:
        to_si(1.0, unit)
    except SpecError as exc:
        assert "unknown unit" in str(exc)
    else:  # the only way through is a real unit built from a prefix and a base
        assert unit in BASE_UNITS or (unit[:1] in PREFIXES and unit[1:] in BASE_UNITS)
