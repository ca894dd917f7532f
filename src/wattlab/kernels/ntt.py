"""Number-theoretic transforms: a radix-2 reference on Python ints, and the matrix forms.

The matrix form factors n = N_0·N_1···N_{D−1} (D = 2: the "3-step", D = 3: the "5-step" NTT).
With the input viewed row-major as x[n_0, ..., n_{D−1}] and the output index
k = k_0 + N_0 k_1 + N_0 N_1 k_2 + ..., the DFT is D small DFTs, one per axis, each a matrix
product T_d[k, n] = ω_d^{kn} (ω_d = ω^{n/N_d}), with a Hadamard twiddle between axes d and
d+1: ω^{n_{d+1}·(N_{d+2}···N_{D−1})·(k_0 + N_0 k_1 + ... + N_0···N_{d−1} k_d)}.

On residues each small DFT is, per modulus, one GEMM of bytes against the precomputed matrix
``(T_d·2^{8s}) mod m_i`` (the byte shift folded into the constant, MORPH's "BAT" layout), followed
by a Montgomery step and one CRNS (the float64 CPU path uses 16-bit data digits instead of
bytes for these GEMMs, see :class:`~wattlab.kernels.rns.Backend`); the inverse folds n^{-1}
into T_0. The data never moves
between steps: each GEMM contracts along its own axis (the byte split writes the operand in the
GEMM's layout, which it must write anyway); one permutation at the end gives natural order.

Exactness: a GEMM output is ``Σ T·X < N_d·p·L``; the constructor checks it stays below the RNS
base's ``w_max`` (see :mod:`wattlab.kernels.rns`), so every CRNS quotient is exact.
"""

from __future__ import annotations

import math
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from wattlab.errors import SpecError
from wattlab.kernels._threads import single_blas
from wattlab.kernels.fields import PrimeField, check_pow2, get_field
from wattlab.kernels.rns import BYTES, Backend, RNSArray, RNSField


def ntt_reference(field: PrimeField | str, values: Any, *, inverse: bool = False) -> np.ndarray:
    """Radix-2 Cooley–Tukey NTT on Python ints along the last axis (vectorised per stage)."""
    f = get_field(field)
    a = f.elements(values)
    n = a.shape[-1]
    log_n = check_pow2(n, "NTT size")
    w = f.root_of_unity(n)
    if inverse:
        w = f.inv(w)
    rev = np.array([int(format(i, f"0{log_n}b")[::-1], 2) for i in range(n)])
    a = a[..., rev]
    lead, p = a.shape[:-1], f.p
    for s in range(1, log_n + 1):
        half = 1 << (s - 1)
        wm = pow(w, n >> s, p)
        pw = np.empty(half, dtype=object)
        acc = 1
        for j in range(half):
            pw[j] = acc
            acc = acc * wm % p
        blocks = a.reshape(*lead, -1, 2 * half)
        u, v = blocks[..., :half], blocks[..., half:] * pw % p
        a = np.concatenate([(u + v) % p, (u - v) % p], axis=-1).reshape(*lead, n)
    if inverse:
        a = a * f.inv(n) % p
    return a


def default_splits(log_n: int, steps: int) -> tuple[int, ...]:
    """log2 of the factors: 3-step → two near-equal halves, 5-step → three near-equal thirds."""
    if steps not in (3, 5):
        raise SpecError(f"steps must be 3 or 5 (the 3-step or 5-step matrix NTT), not {steps}")
    d = 2 if steps == 3 else 3
    if log_n < d:
        raise SpecError(f"a {steps}-step NTT needs log_n >= {d}, not {log_n}")
    return tuple(log_n // d + (1 if i < log_n % d else 0) for i in range(d))


class MatrixNTT:
    """Forward/inverse NTT of size 2^log_n over an :class:`RNSField`, as byte GEMMs."""

    def __init__(self, rns: RNSField, log_n: int, *, steps: int = 3,
                 splits: tuple[int, ...] | None = None) -> None:
        self.rns, self.field = rns, rns.field
        self.n = 1 << log_n
        check_pow2(self.n, "NTT size")
        self.splits = tuple(1 << s for s in (splits or default_splits(log_n, steps)))
        if math.prod(self.splits) != self.n:
            raise SpecError(f"splits {splits} do not multiply to 2^{log_n}")
        self.root = self.field.root_of_unity(self.n)  # SpecError if beyond the two-adicity
        worst = max(self.splits) * (rns.p - 1) * rns.L
        if worst > rns.w_max:
            raise SpecError(f"factor {max(self.splits)} too large for this RNS base: the GEMM "
                            "output would overflow the exact-quotient bound; use more steps")

    @cached_property
    def _powers(self) -> np.ndarray:
        p, pw = self.field.p, np.empty(self.n, dtype=object)
        acc = 1
        for j in range(self.n):
            pw[j] = acc
            acc = acc * self.root % p
        return pw

    @lru_cache(maxsize=2)  # noqa: B019 - two entries per instance (forward, inverse)
    def _plan(self, inverse: bool) -> tuple[list[Any], list[Any]]:
        n, p, rns = self.n, self.field.p, self.rns
        sign = -1 if inverse else 1
        pw = self._powers
        mats = []
        for d, nd in enumerate(self.splits):
            w = rns.backend.digit_bits(nd)
            nd_dig = 32 // w
            idx = np.outer(np.arange(nd), np.arange(nd)) * (n // nd) * sign % n
            t = pw[idx]
            if inverse and d == 0:
                t = t * self.field.inv(n) % p
            res = rns.backend.to_numpy(rns.to_rns(t).res)                      # (NM, nd, nd)
            mods = np.array(rns.moduli, dtype=np.int64)[:, None, None, None]
            shifts = np.array([[pow(2, w * s, m) for s in range(nd_dig)] for m in rns.moduli],
                              dtype=np.int64)[:, :, None, None]
            c = (res[:, None] * shifts) % mods                              # (NM, digits, k, n)
            c = np.moveaxis(c, 1, 2).reshape(rns.n_moduli, nd, nd_dig * nd)
            mats.append(rns.backend.prepare(c, w))
        twiddles = []
        for d in range(len(self.splits) - 1):
            k_idx = np.zeros(self.splits[:d + 1], dtype=np.int64)
            stride = 1
            for ax in range(d + 1):
                shape = [1] * (d + 1)
                shape[ax] = self.splits[ax]
                k_idx = k_idx + np.arange(self.splits[ax]).reshape(shape) * stride
                stride *= self.splits[ax]
            tail = math.prod(self.splits[d + 2:])
            nxt = np.arange(self.splits[d + 1]) * tail
            e = (k_idx[..., None] * nxt) * sign % n
            twiddles.append(rns.to_rns(pw[e]).res)
        return mats, twiddles

    def forward(self, x: RNSArray) -> RNSArray:
        return self._transform(x, inverse=False)

    def inverse(self, x: RNSArray) -> RNSArray:
        return self._transform(x, inverse=True)

    @single_blas
    def _transform(self, x: RNSArray, inverse: bool) -> RNSArray:
        rns, be = self.rns, self.rns.backend
        rns._check(x)
        if not x.shape or x.shape[-1] != self.n:
            raise SpecError(f"input's last axis is {x.shape[-1:] or '()'}; this NTT has size {self.n}")
        if max(self.splits) * (rns.p - 1) * x.bound > rns.w_max:
            raise SpecError("input bound too large for the first GEMM; rns.reduce() it first")
        batch = x.shape[:-1]
        flat = x.res.reshape(rns.n_moduli, -1, self.n)
        per = max(1, (be.chunk_elems or flat.shape[1] * self.n) // self.n)
        parts = [self._run(flat[:, i:i + per], inverse) for i in range(0, flat.shape[1], per)]
        out = parts[0] if len(parts) == 1 else be.concat(parts, axis=1)
        return RNSArray(out.reshape(rns.n_moduli, *batch, self.n), rns.L, self.field)

    def _run(self, res: Any, inverse: bool) -> Any:
        """The transform of residues (NM, B, n) → (NM, B, n), natural order in and out."""
        rns, be = self.rns, self.rns.backend
        mats, twiddles = self._plan(inverse)
        nm, batch, dims = rns.n_moduli, tuple(res.shape[1:-1]), len(self.splits)
        r = res.reshape(nm, *batch, *self.splits)
        nb = len(batch)
        for d, nd in enumerate(self.splits):
            ax = 1 + nb + d
            y = be.moveaxis(r, ax, 1)
            rest = tuple(y.shape[2:])
            w = be.digit_bits(nd)
            a = be.digits(y, w, axis=1).reshape(nm, (32 // w) * nd, -1)
            t = rns._crns(rns._mont(be.gemm(mats[d], a)))
            r = be.moveaxis(t.reshape(nm, nd, *rest), 1, ax)
            if d < dims - 1:
                tw = twiddles[d]
                tw = tw.reshape(nm, *([1] * nb), *tw.shape[1:], *([1] * (dims - d - 2)))
                r = rns._crns(rns._mont(r * tw))
        order = (0, *range(1, nb + 1), *range(nb + dims, nb, -1))
        return be.permute(r, order).reshape(nm, *batch, self.n)

    def macs(self, int8: bool = True) -> dict[str, int]:
        """Multiply-accumulates per transform: twiddle GEMMs and CRNS GEMMs. int8: byte data,
        four 7-bit constant digits; float64: the float path's data digits, constants whole."""
        digits = 4 if int8 else 1
        f64 = Backend()
        nm = self.rns.n_moduli
        gemm = sum(self.n * nm * (BYTES if int8 else 32 // f64.digit_bits(nd)) * nd * digits
                   for nd in self.splits)
        crns = (2 * len(self.splits) - 1) * self.n * self.rns.crns_macs_per_element * digits
        return {"twiddle_gemm": gemm, "crns_gemm": crns}


@lru_cache(maxsize=16)
def _cached(field: PrimeField, log_n: int, steps: int, backend: str, device: str) -> MatrixNTT:
    return MatrixNTT(RNSField(field, backend=backend, device=device), log_n, steps=steps)


def ntt(field: PrimeField | str, values: Any, *, inverse: bool = False, steps: int = 3,
        backend: str = "numpy", device: str = "cpu") -> np.ndarray:
    """NTT of reduced field elements along the last axis via the matrix form (object array)."""
    f = get_field(field)
    vals = f.elements(values)
    if vals.ndim == 0:
        raise SpecError("ntt needs an array of field elements, not a scalar")
    log_n = check_pow2(vals.shape[-1], "NTT size")
    plan = _cached(f, log_n, steps, backend, device)
    x = plan.rns.to_rns(vals)
    y = plan.inverse(x) if inverse else plan.forward(x)
    return plan.rns.from_rns(y)
