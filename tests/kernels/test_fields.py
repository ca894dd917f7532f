import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.kernels.fields import FIELDS, PrimeField, check_pow2, from_limbs, get_field


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_named_fields_are_prime_with_stated_roots(name):
    f = FIELDS[name]
    assert 64 <= f.bits <= 384
    n = 1 << min(f.two_adicity, 8)
    w = f.root_of_unity(n)
    assert pow(w, n, f.p) == 1 and pow(w, n // 2, f.p) == f.p - 1


def test_known_two_adicities():
    assert get_field("bls12-381").two_adicity == 32
    assert get_field("bn254").two_adicity == 28
    assert get_field("bls12-377-fq").two_adicity == 46
    assert get_field("bls12-377-fq").bits == 377


@pytest.mark.parametrize("bad", [-1, "p", 1.5])
def test_unreduced_or_non_int_elements_are_rejected(bad):
    f = get_field("bn254")
    with pytest.raises(SpecError, match="not a reduced element"):
        f.elements([1, bad if bad != "p" else f.p])


def test_bad_fields_and_sizes():
    with pytest.raises(SpecError, match="not prime"):
        PrimeField("x", 2**64 + 1)
    with pytest.raises(SpecError, match="64 to 384"):
        PrimeField("x", 65537)
    with pytest.raises(SpecError, match="power of two"):
        check_pow2(12, "NTT size")
    with pytest.raises(SpecError, match="two-adicity"):
        get_field("bls12-381-fq").root_of_unity(4)
    with pytest.raises(SpecError, match="unknown field"):
        get_field("secp256k1")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**384 - 1), min_size=1, max_size=20))
def test_limbs_round_trip(vals):
    f = get_field("bls12-381-fq")
    arr = np.array(vals, dtype=object)
    assert (from_limbs(f.to_limbs(arr, 24)) == arr).all()
