"""The kernels set their own BLAS thread limit (issue 18, fast defaults)."""

from __future__ import annotations

import numpy  # noqa: F401  (loads BLAS before the controller looks for it)

from wattlab.kernels._threads import single_blas


def _blas_threads() -> int:
    """Threads of NumPy's own BLAS (other packages may load single-threaded BLAS builds)."""
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    mine = [i for i in blas if "numpy" in i["filepath"]] or blas
    return min(i["num_threads"] for i in mine)


def test_single_blas_limits_inside_and_restores_after(monkeypatch):
    monkeypatch.delenv("WATTLAB_BLAS_THREADS", raising=False)
    seen = []

    @single_blas
    def inner() -> None:
        seen.append(_blas_threads())

    @single_blas
    def outer() -> None:
        inner()  # nested: the limit is set once
        seen.append(_blas_threads())

    from threadpoolctl import threadpool_limits

    with threadpool_limits(2, user_api="blas"):
        outer()
        assert seen == [1, 1]
        assert _blas_threads() == 2  # restored


def test_env_zero_leaves_blas_alone(monkeypatch):
    from threadpoolctl import threadpool_limits

    monkeypatch.setenv("WATTLAB_BLAS_THREADS", "0")
    got = []
    with threadpool_limits(2, user_api="blas"):
        single_blas(lambda: got.append(_blas_threads()))()
    assert got == [2]


def test_matrix_ntt_runs_with_one_blas_thread(monkeypatch):
    import numpy as np

    from wattlab.kernels import rns
    from wattlab.kernels.fields import BLS12_381_FR as F
    from wattlab.kernels.ntt import MatrixNTT, ntt_reference

    monkeypatch.delenv("WATTLAB_BLAS_THREADS", raising=False)
    seen = []
    real = np.matmul

    def spy(*a, **k):
        seen.append(_blas_threads())
        return real(*a, **k)

    monkeypatch.setattr(rns.np, "matmul", spy)
    plan = MatrixNTT(rns.RNSField(F), 6, steps=3)
    x = F.random(np.random.default_rng(0), 64)
    assert (plan.rns.from_rns(plan.forward(plan.rns.to_rns(x))) == ntt_reference(F, x)).all()
    assert seen and set(seen) == {1}
