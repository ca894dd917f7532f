import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.kernels.curves import BLS12_381, BN254, INFINITY, get_curve
from wattlab.kernels.fields import BN254_FR
from wattlab.kernels.msm import (
    batch_inverse,
    choose_window,
    msm_naive,
    msm_pippenger,
    msm_pippenger_batched,
    pippenger_adds,
    signed_digits,
)

CURVES = [BN254, BLS12_381]


def _py_ecc(curve):
    if curve is BN254:
        return pytest.importorskip("py_ecc.optimized_bn128", reason="py_ecc reference")
    return pytest.importorskip("py_ecc.optimized_bls12_381", reason="py_ecc reference")


def _aff(lib, pt):
    n = lib.normalize(pt)
    return (int(n[0].n), int(n[1].n))


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_scalar_mul_matches_py_ecc(curve):
    lib = _py_ecc(curve)
    rng = np.random.default_rng(0)
    for k in [1, 2, 3, curve.scalar.p - 1, *(int(v) for v in rng.integers(1, 2**63, 6))]:
        mine = curve.to_affine(curve.mul(curve.generator, k))
        assert mine == _aff(lib, lib.multiply(lib.G1, k))
        assert curve.is_on_curve(mine)


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_group_laws(curve):
    g = curve.generator
    gj = curve.to_jacobian(g)
    two = curve.double(gj)
    assert curve.to_affine(curve.add(gj, gj)) == curve.to_affine(two)
    assert curve.to_affine(curve.add_mixed(two, g)) == curve.to_affine(curve.mul(g, 3))
    assert curve.add(gj, curve.neg(gj))[2] == 0
    assert curve.mul(g, curve.scalar.p)[2] == 0          # the generator has order r
    assert curve.to_affine(INFINITY) is None


def test_points_off_the_curve_are_rejected():
    with pytest.raises(SpecError, match="not a point"):
        BN254.point(1, 3)
    assert BN254.point(1, 2) == (1, 2)
    with pytest.raises(SpecError, match="unknown curve"):
        get_curve("bls12-377")


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_pippenger_equals_naive_and_py_ecc(curve):
    lib = _py_ecc(curve)
    rng = np.random.default_rng(1)
    n = 8
    pts = [curve.to_affine(curve.mul(curve.generator, int(k))) for k in rng.integers(1, 2**40, n)]
    ks = [int(v) * 7**90 % curve.scalar.p for v in rng.integers(1, 2**62, n)]
    want = None
    for pt, k in zip(pts, ks, strict=True):
        term = lib.multiply((lib.FQ(pt[0]), lib.FQ(pt[1]), lib.FQ(1)), k)
        want = term if want is None else lib.add(want, term)
    assert curve.to_affine(msm_pippenger(curve, pts, ks)) == _aff(lib, want)
    assert curve.to_affine(msm_naive(curve, pts, ks)) == _aff(lib, want)


@pytest.mark.parametrize("window", [2, 3, 5, 8])
def test_pippenger_any_window_with_adversarial_scalars(window):
    rng = np.random.default_rng(window)
    r = BN254.scalar.p
    pts = [BN254.to_affine(BN254.mul(BN254.generator, int(k))) for k in rng.integers(1, 2**30, 12)]
    pts[3] = pts[2]                                     # repeated point: bucket doubling path
    pts[5] = BN254.to_affine(BN254.neg(BN254.to_jacobian(pts[4])))  # P and −P cancel
    ks = [0, 1, r - 1, r - 1, 5, 5, *(int(v) for v in rng.integers(0, 2**62, 6))]
    got = BN254.to_affine(msm_pippenger(BN254, pts, ks, window=window))
    assert got == BN254.to_affine(msm_naive(BN254, pts, ks))


def test_window_choice_minimises_the_count():
    for n in (16, 1 << 12, 1 << 16):
        c = choose_window(n, 255)
        assert all(pippenger_adds(n, 255, c) <= pippenger_adds(n, 255, d) for d in range(2, 25))
    assert choose_window(1 << 16, 255) > choose_window(16, 255)


def test_msm_bad_input():
    g = BN254.generator
    with pytest.raises(SpecError, match="one scalar per point"):
        msm_pippenger(BN254, [g, g], [1])
    with pytest.raises(SpecError, match="not a reduced element"):
        msm_pippenger(BN254, [g], [BN254.scalar.p])
    with pytest.raises(SpecError, match="not on bn254"):
        msm_naive(BN254, [(1, 3)], [1])
    with pytest.raises(SpecError, match="scalar field"):
        msm_pippenger(BLS12_381, [BLS12_381.generator], [1], scalar_field=BN254_FR)


def test_batch_inverse_is_exact():
    p = BLS12_381.base.p
    vals = np.array([1, 2, p - 1, 12345, *range(3, 40)], dtype=object)
    inv = batch_inverse(vals, p)
    assert all(v * i % p == 1 for v, i in zip(vals, inv, strict=True))


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_batched_affine_pippenger_matches_naive_with_collisions(curve):
    rng = np.random.default_rng(7)
    base = [curve.to_affine(curve.mul(curve.generator, int(k))) for k in rng.integers(1, 2**30, 10)]
    neg = curve.to_affine(curve.neg(curve.to_jacobian(base[0])))
    pts = [*base, base[1], base[1], neg, base[0]]        # doubling and P + (−P) inside buckets
    ks = [5] * 4 + [int(v) for v in rng.integers(0, 2**62, 6)] + [5, 5, 5, 5]
    want = curve.to_affine(msm_naive(curve, pts, ks))
    for window in (None, 2, 4):
        assert curve.to_affine(msm_pippenger_batched(curve, pts, ks, window=window)) == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**255 - 1), min_size=1, max_size=8), st.integers(2, 16))
def test_signed_digits_reconstruct_the_scalars(ks, c):
    d = signed_digits(ks, c)
    assert d.min() >= -(1 << (c - 1)) and d.max() < 1 << (c - 1)
    for j, k in enumerate(ks):
        assert sum(int(d[w, j]) << (c * w) for w in range(d.shape[0])) == k
