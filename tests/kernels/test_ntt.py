import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.kernels.fields import get_field
from wattlab.kernels.ntt import MatrixNTT, default_splits, ntt, ntt_reference
from wattlab.kernels.rns import RNSField

F = get_field("bls12-381")


def _naive_dft(f, x, inverse=False):
    n = len(x)
    w = f.root_of_unity(n)
    if inverse:
        w = f.inv(w)
    out = [sum(int(x[j]) * pow(w, j * k, f.p) for j in range(n)) % f.p for k in range(n)]
    if inverse:
        out = [v * f.inv(n) % f.p for v in out]
    return np.array(out, dtype=object)


@pytest.mark.parametrize("field", ["bls12-381", "bn254", "goldilocks", "bls12-377-fq"])
def test_reference_matches_naive_dft(field):
    f = get_field(field)
    x = f.random(np.random.default_rng(0), 32)
    assert (ntt_reference(f, x) == _naive_dft(f, x)).all()
    assert (ntt_reference(f, x, inverse=True) == _naive_dft(f, x, inverse=True)).all()


def test_reference_matches_galois():
    galois = pytest.importorskip("galois", reason="cross-check against galois")
    # Giving the primitive element skips galois's slow field search; np.fft.fft on a GF(p)
    # array is what galois.ntt runs once it has the field.
    gf = galois.GF(F.p, primitive_element=F.generator, verify=False)
    x = F.random(np.random.default_rng(1), 256)
    y = np.fft.fft(gf(list(x)))
    assert [int(v) for v in y] == list(ntt_reference(F, x))


@pytest.mark.parametrize("steps", [3, 5])
@pytest.mark.parametrize("log_n", [3, 6, 9])
def test_matrix_forms_match_reference(steps, log_n):
    x = F.random(np.random.default_rng(log_n), (2, 1 << log_n))
    ref = ntt_reference(F, x)
    y = ntt(F, x, steps=steps)
    assert (y == ref).all()
    assert (ntt(F, y, inverse=True, steps=steps) == x).all()


def test_uneven_splits_and_bn254():
    f = get_field("bn254")
    x = f.random(np.random.default_rng(4), 1 << 7)
    plan = MatrixNTT(RNSField(f), 7, splits=(1, 4, 2))
    assert (plan.rns.from_rns(plan.forward(plan.rns.to_rns(x))) == ntt_reference(f, x)).all()


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_round_trip_and_convolution(data):
    log_n = data.draw(st.integers(2, 7))
    n = 1 << log_n
    vals = st.lists(st.integers(0, F.p - 1), min_size=n, max_size=n)
    a, b = data.draw(vals), data.draw(vals)
    steps = data.draw(st.sampled_from([3, 5])) if log_n >= 3 else 3
    fa, fb = ntt(F, a, steps=steps), ntt(F, b, steps=steps)
    assert list(ntt(F, fa, inverse=True, steps=steps)) == a
    cyc = ntt(F, fa * fb % F.p, inverse=True, steps=steps)
    want = [sum(a[j] * b[(k - j) % n] for j in range(n)) % F.p for k in range(n)]
    assert list(cyc) == want


def test_adversarial_all_p_minus_one():
    x = np.array([F.p - 1] * 1024, dtype=object)
    assert (ntt(F, x) == ntt_reference(F, x)).all()
    assert ntt(F, x)[0] == (F.p - 1) * 1024 % F.p


def test_batched_transform_is_per_row():
    x = F.random(np.random.default_rng(5), (3, 4, 64))
    y = ntt(F, x, steps=5)
    for i in range(3):
        assert (y[i, 2] == ntt_reference(F, x[i, 2])).all()


def test_torch_int8_matrix_ntt():
    pytest.importorskip("torch", reason="the int8 GEMM backend needs torch")
    x = F.random(np.random.default_rng(6), (2, 64))
    assert (ntt(F, x, backend="torch") == ntt_reference(F, x)).all()


def test_bad_input():
    with pytest.raises(SpecError, match="power of two"):
        ntt(F, list(range(12)))
    with pytest.raises(SpecError, match="not a reduced element"):
        ntt(F, [F.p, 0, 0, 0])
    with pytest.raises(SpecError, match="two-adicity"):
        ntt("bls12-381-fq", [1, 2, 3, 4])
    with pytest.raises(SpecError, match="steps"):
        default_splits(8, 4)
    plan = MatrixNTT(RNSField(F), 4)
    other = RNSField("bn254").to_rns([1] * 16)
    with pytest.raises(SpecError, match="bn254-fr"):
        plan.forward(other)
    with pytest.raises(SpecError, match="size 16"):
        plan.forward(plan.rns.to_rns([1] * 8))


def test_mac_counts_follow_the_factorisation():
    plan = MatrixNTT(RNSField(F), 14, steps=3)
    m = plan.macs(int8=True)
    nm = plan.rns.n_moduli
    assert m["twiddle_gemm"] == 2 * (1 << 14) * nm * 4 * 128 * 4
    assert m["crns_gemm"] == 3 * (1 << 14) * (nm + 1) * 4 * nm * 4


def test_chunked_batches_equal_the_whole():
    rns = RNSField(F)
    rns.backend.chunk_elems = 64                      # 3 rows of 32 per chunk of 2 → 2 chunks
    plan = MatrixNTT(rns, 5, steps=5)
    x = F.random(np.random.default_rng(8), (3, 32))
    y = plan.rns.from_rns(plan.forward(plan.rns.to_rns(x)))
    assert y.shape == (3, 32)
    assert all((y[i] == ntt_reference(F, x[i])).all() for i in range(3))


def test_large_factor_switches_to_byte_digits_and_stays_exact():
    rns = RNSField(F)
    assert rns.backend.digit_bits(256) == 16 and rns.backend.digit_bits(512) == 8
    plan = MatrixNTT(rns, 10, splits=(9, 1))           # a 512-point factor
    x = F.random(np.random.default_rng(9), 1024)
    assert (plan.rns.from_rns(plan.forward(plan.rns.to_rns(x))) == ntt_reference(F, x)).all()
