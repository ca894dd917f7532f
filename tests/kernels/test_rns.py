import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.kernels.fields import get_field
from wattlab.kernels.rns import (
    BYTES,
    MONT_SHIFT,
    QUOTIENT_SHIFT,
    RNSArray,
    RNSField,
    choose_moduli,
)

FIELDS = ["bls12-381", "bn254", "bls12-377-fq", "bls12-381-fq", "goldilocks"]


@pytest.fixture(scope="module", params=FIELDS)
def rns(request):
    return RNSField(request.param)


def _residues(rns, ints, high=False):
    """Residues of arbitrary non-negative ints, optionally pushed into [m, 2m) (max laziness)."""
    res = np.array([[x % m + (m if high else 0) for x in ints] for m in rns.moduli], dtype=np.int64)
    return res


def test_moduli_are_distinct_primes_below_2_28():
    ms = choose_moduli(32)
    assert len(set(ms)) == 32 and max(ms) < 2**28
    assert all(pow(2, m - 1, m) == 1 for m in ms)
    assert math.gcd(*ms) == 1


def test_base_is_large_enough(rns):
    assert (rns.headroom * rns.L) ** 2 < rns.M
    assert rns.w_max < rns.M
    # the per-residue Montgomery input bound: products of residues < 2m fit m·R
    assert all(4 * m * m < m << MONT_SHIFT for m in rns.moduli)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_random_products_are_exact(data):
    rns = RNSField(data.draw(st.sampled_from(FIELDS)))
    p = rns.p
    xs = data.draw(st.lists(st.integers(0, p - 1), min_size=1, max_size=64))
    ys = data.draw(st.lists(st.integers(0, p - 1), min_size=len(xs), max_size=len(xs)))
    a, b = rns.to_rns(xs), rns.to_rns(ys)
    got = rns.from_rns(rns.mul(a, b))
    assert list(got) == [x * y % p for x, y in zip(xs, ys, strict=True)]
    lazy = rns.mul(rns.add(a, b), rns.sub(a, b))          # (a+b)(a−b) without reducing first
    assert list(rns.from_rns(lazy)) == [(x + y) * (x - y) % p for x, y in zip(xs, ys, strict=True)]


def test_p_minus_one_everywhere(rns):
    p = rns.p
    a = rns.to_rns([p - 1] * 256)
    sq = rns.mul(a, a)
    assert (rns.from_rns(sq) == 1).all()
    chain = sq
    for _ in range(20):                                      # a lazy chain stays exact
        chain = rns.mul(rns.add(chain, a), rns.sub(a, chain))
    ref = 1
    for _ in range(20):
        ref = (ref + p - 1) * (p - 1 - ref) % p
    assert (rns.from_rns(chain) == ref).all()


def test_crns_at_the_bound_with_residues_at_their_maximum(rns):
    """W = w_max (the largest integer the quotient estimate is proved for), all residues in
    [m, 2m) so the byte sums are as large as they get: the CRNS output is still ≡ W (mod p)."""
    r = 1 << MONT_SHIFT
    ws = [rns.w_max, rns.w_max - 1, rns.w_max // 2, 0, 1, rns.p - 1]
    t = np.array([[w * pow(r, -1, m) % m + m for w in ws] for m in rns.moduli], dtype=np.int64)
    assert (t < 2 * np.array(rns.moduli)[:, None]).all()
    z = rns._crns(rns.backend.asarray(t))
    out = rns.from_rns(RNSArray(z, rns.L, rns.field))
    assert list(out) == [w % rns.p for w in ws]
    assert (np.asarray(z) < 2 * np.array(rns.moduli)[:, None]).all()


def test_max_lazy_operands_multiply_exactly(rns):
    """Operands at the largest bound the guard admits (√w_max), residues lazily high."""
    big = math.isqrt(rns.w_max)
    vals = [big, big - 1, big - rns.p]
    a = RNSArray(rns.backend.asarray(_residues(rns, vals, high=True)), big, rns.field)
    got = rns.from_rns(rns.mul(a, a))
    assert list(got) == [v * v % rns.p for v in vals]


def test_guard_refuses_products_beyond_the_bound(rns):
    big = math.isqrt(rns.w_max) + 1
    a = RNSArray(rns.backend.asarray(_residues(rns, [1])), big, rns.field)
    with pytest.raises(SpecError, match="exceeds"):
        rns.mul(a, a)


def test_unsplit_quotient_estimate_fails_where_the_byte_split_holds():
    """Ablation: with whole residues (no byte split) the ceil-rounding error Σ t_i / 2^u is far
    above 1 and the quotient k comes out wrong; the split keeps it below 1 (always right)."""
    rns = RNSField("bls12-381")
    rng = np.random.default_rng(1)
    big_m, u, r = rns.M, QUOTIENT_SHIFT, 1 << MONT_SHIFT
    wrong_unsplit = wrong_split = 0
    for _ in range(200):
        w = int(rng.integers(0, 2**62)) * rns.p ** 2 % rns.w_max
        t = [w * pow(r, -1, m) % m + m for m in rns.moduli]
        unsplit = [(big_m // m) * (r * pow(big_m // m, -1, m) % m) for m in rns.moduli]
        exact_k = (sum(ti * ii for ti, ii in zip(t, unsplit, strict=True)) - w) // big_m
        f = [-(-(ii << u) // big_m) for ii in unsplit]
        wrong_unsplit += (sum(ti * fi for ti, fi in zip(t, f, strict=True)) >> u) != exact_k
        digits = [(ti >> (8 * s)) & 255 for ti in t for s in range(BYTES)]
        rows = [(big_m // m) * ((r * pow(big_m // m, -1, m) << (8 * s)) % m)
                for m in rns.moduli for s in range(BYTES)]
        k_split = (sum(d * ii for d, ii in zip(digits, rows, strict=True)) - w) // big_m
        f_split = [-(-(ii << u) // big_m) for ii in rows]
        wrong_split += (sum(d * fi for d, fi in zip(digits, f_split, strict=True)) >> u) != k_split
    assert wrong_split == 0
    assert wrong_unsplit > 100


def test_field_mismatch_is_an_error():
    a, b = RNSField("bn254"), RNSField("bls12-381")
    x = a.to_rns([1, 2])
    with pytest.raises(SpecError, match="field 'bn254-fr'"):
        b.mul(x, x)
    with pytest.raises(SpecError, match="not a reduced element"):
        a.to_rns([a.p])


def test_torch_int8_backend_matches_numpy():
    pytest.importorskip("torch", reason="the int8 GEMM backend needs torch")
    f = get_field("bls12-381-fq")
    xs = list(f.random(np.random.default_rng(2), 300)) + [f.p - 1] * 4
    ys = list(f.random(np.random.default_rng(3), 300)) + [f.p - 1] * 4
    tr = RNSField(f, backend="torch")
    got = tr.from_rns(tr.mul(tr.add(tr.to_rns(xs), tr.to_rns(ys)), tr.to_rns(ys)))
    assert list(got) == [(x + y) * y % f.p for x, y in zip(xs, ys, strict=True)]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_montgomery_step_at_its_input_extremes(backend):
    if backend == "torch":
        pytest.importorskip("torch", reason="torch backend")
    rns = RNSField("bls12-381-fq", backend=backend)
    r = 1 << MONT_SHIFT
    rng = np.random.default_rng(3)
    zs = [[0, 1, m * r - 1, 4 * m * m - 1, (2 * m - 1) ** 2, 2**53, *(int(v) for v in
           rng.integers(0, m * r, 20))] for m in rns.moduli]
    out = rns.backend.to_numpy(rns._mont(rns.backend.asarray(np.array(zs, dtype=np.int64))))
    for m, row_z, row_t in zip(rns.moduli, zs, out, strict=True):
        assert all(0 <= t < 2 * m and (t * r - z) % m == 0 for z, t in zip(row_z, row_t, strict=True))


def test_cuda_shape_padding_path_is_exact_on_cpu():
    """The zero-padding used for CUDA's _int_mm shape rules, exercised on the CPU."""
    pytest.importorskip("torch", reason="torch backend")
    from wattlab.kernels.ntt import MatrixNTT, ntt_reference
    from wattlab.kernels.rns import TorchBackend

    f = get_field("bls12-381-fq")                     # 29 moduli: K = 116 is not a multiple of 8
    rns = RNSField(f, backend=TorchBackend("cpu", pad=True))
    xs = list(f.random(np.random.default_rng(4), 37))
    got = rns.from_rns(rns.mul(rns.to_rns(xs), rns.to_rns(xs)))
    assert list(got) == [x * x % f.p for x in xs]
    g = get_field("bls12-381")
    plan = MatrixNTT(RNSField(g, backend=TorchBackend("cpu", pad=True)), 5, splits=(1, 2, 2))
    x = g.random(np.random.default_rng(5), (3, 32))  # 2x2 and 4x4 factors: fewer than 17 rows
    assert (plan.rns.from_rns(plan.forward(plan.rns.to_rns(x))) == ntt_reference(g, x)).all()
