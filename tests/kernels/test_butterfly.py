"""The vectorised butterfly NTT (MORPH's CPU baseline) equals the Python-int reference."""

import numpy as np
import pytest

from wattlab.kernels.butterfly import ButterflyNTT, Montgomery, from_limbs32, to_limbs32
from wattlab.kernels.fields import BLS12_381_FQ, BLS12_381_FR
from wattlab.kernels.ntt import ntt_reference


@pytest.mark.parametrize("field", [BLS12_381_FR, BLS12_381_FQ])
def test_montgomery_arithmetic_is_exact_including_edges(field):
    rng = np.random.default_rng(1)
    m = Montgomery(field)
    p = field.p
    a = np.concatenate([field.random(rng, 200), np.array([0, 1, p - 1, p - 1], dtype=object)])
    b = np.concatenate([field.random(rng, 200), np.array([p - 1, 0, 1, p - 1], dtype=object)])
    la, lb = to_limbs32(a, m.n_limbs), to_limbs32(b, m.n_limbs)
    assert list(from_limbs32(m.mul(la, m.to_mont(b)))) == [x * y % p for x, y in zip(a, b, strict=True)]
    assert list(from_limbs32(m.add(la, lb))) == [(x + y) % p for x, y in zip(a, b, strict=True)]
    assert list(from_limbs32(m.sub(la, lb))) == [(x - y) % p for x, y in zip(a, b, strict=True)]


@pytest.mark.parametrize("log_n", [1, 5, 10])
def test_butterfly_ntt_matches_the_reference(log_n):
    rng = np.random.default_rng(log_n)
    x = BLS12_381_FR.random(rng, 1 << log_n)
    bf = ButterflyNTT(BLS12_381_FR, log_n)
    got = from_limbs32(bf.forward(bf.to_limbs(x)))
    assert (got == ntt_reference(BLS12_381_FR, x)).all()
