r"""Exact GF(p) multiplication from uint8 matrix products: RNS + per-residue Montgomery + CRNS.

Representation. An element is held as the residues ``x_i = X mod m_i`` (lazily in [0, 2 m_i)) of
an integer ``X ≡ x (mod p)`` with ``0 <= X <= bound``, for NM primes ``m_i < 2^28`` whose product
``M`` exceeds the largest product ever formed. Arrays are residue-major: shape ``(NM, *batch)``,
int64, on NumPy or torch (the same code; :class:`Backend` holds the few calls that differ).

Multiply (the MORPH "DRNS-lazy" scheme, re-derived; all bounds below are proved, then checked):

1. ``z_i = x_i y_i < 4 m_i^2 <= 2^58``.
2. Per-residue Montgomery with ``R = 2^32``: ``q = (z mod R)(−m_i^{-1}) mod R``,
   ``t_i = (z + q m_i) / R``. Since ``z < 4m^2 <= m R`` (m < 2^30), ``t_i < 2 m_i`` and
   ``t_i ≡ z R^{-1}``; ``z + q m < 2^61`` and q is formed from 16-bit halves, so no int64
   operation overflows.
3. CRNS, one GEMM. Split each ``t_i`` into bytes ``x_{i,s}`` (s = 0..3). With
   ``I_{i,s} = M_i·((2^{8s} R M_i^{-1}) mod m_i) < M`` (``M_i = M/m_i``) the CRT gives
   ``Σ x_{i,s} I_{i,s} = W + kM`` where ``W = XY`` is the wanted integer (``W < M``) and k is
   an integer. The GEMM computes, with ``f_{i,s} = ⌈I_{i,s} 2^u / M⌉``,
   ``v = Σ x_{i,s} f_{i,s}``; then ``v/2^u ∈ [k + W/M, k + W/M + S/2^u)`` where
   ``S = max Σ x_{i,s}`` is the largest byte sum of residues < 2m_i. So **k = v >> u exactly
   whenever W < M(1 − S/2^u)** (``w_max``). This is why the residues are byte-split: the
   ceil-rounding error is bounded by the byte sum S (≈2^15), not by the residue sum (≈2^33).
   The same GEMM gives ``acc_j = Σ x_{i,s} E_{j,(i,s)}`` with ``E = ((I mod p) R) mod m_j``;
   ``out_j = acc_j + k g_j`` with ``g_j = ((−M mod p) R) mod m_j``. ``out_j < 2S m_j`` (< R m_j).
4. Montgomery again gives residues (< 2m_j) of ``Z = Σ x_{i,s}(I_{i,s} mod p) + k(−M mod p)``,
   an integer ≡ W (mod p) with ``0 <= Z <= (2S − 1)(p − 1) =: L`` (``k < S``).

Exactness of the GEMM: every GEMM term is a data digit times a constant < 2^28. The NumPy
backend multiplies in float64 and :meth:`Backend.prepare` refuses any constant for which
``K·(2^digit − 1)·(2^28 − 1) > 2^53`` (bytes: K < 2^17; 16-bit twiddle digits: K <= 512), so
every sum is an exactly representable integer. The torch
backend uses ``torch._int_mm`` (int8 × int8 → int32): data bytes are offset to [−128, 127],
constants split into 7-bit digits (< 2^28 = four digits), the offset undone by a precomputed
column sum: ``|Σ| <= K·128·127 < 2^31`` for K < 2^17. Lazy reduction: sums of reduced values
are multiplied without reduction while ``bound_a · bound_b <= w_max``; :meth:`RNSField.mul`
checks that (an exact O(1) guard on Python ints) and raises instead of wrapping around.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from wattlab.errors import SpecError
from wattlab.kernels._threads import single_blas
from wattlab.kernels.fields import LIMB_BITS, PrimeField, from_limbs, get_field

MODULUS_BITS = 28      # residues below 2^28: products of two lazy residues fit 2^58
MONT_SHIFT = 32        # per-residue Montgomery radix R = 2^32
QUOTIENT_SHIFT = 27    # u: the quotient estimate's fixed point; f <= 2^27 fits four 7-bit digits
BYTES = 4              # data digits per residue (residues < 2m < 2^29)
CONST_DIGIT_BITS = 7   # int8 path: constants in 7-bit digits (non-negative int8)
_MASK32 = (1 << MONT_SHIFT) - 1


def _small_primes(limit: int) -> np.ndarray:
    sieve = np.ones(limit + 1, dtype=bool)
    sieve[:2] = False
    for i in range(2, math.isqrt(limit) + 1):
        if sieve[i]:
            sieve[i * i::i] = False
    return np.flatnonzero(sieve)


def choose_moduli(count: int, bits: int = MODULUS_BITS) -> list[int]:
    """The ``count`` largest primes below 2^bits (pairwise coprime by construction)."""
    ps = _small_primes(math.isqrt(1 << bits) + 1)
    out: list[int] = []
    c = (1 << bits) - 1
    while len(out) < count:
        if not np.any(c % ps[ps < c] == 0):
            out.append(c)
        c -= 2
    return out


def max_byte_sum(m: int) -> int:
    """The largest sum of the four bytes of an integer < 2m."""
    top = (2 * m - 1) >> 24
    return 3 * 255 + top if top else 0  # residues here are always >= 2^24


class Backend:
    """Array calls that differ between NumPy (float64 BLAS) and torch (``torch._int_mm``).

    :meth:`digit_bits` gives the data digit width of an NTT twiddle GEMM: float64 is exact with
    16-bit digits while ``K·(2^16 − 1)·(2^28 − 1) <= 2^53`` (K = 2·factor: factors up to 256),
    halving the GEMM work on a CPU; beyond that, and on the int8 engine, bytes. CRNS always
    uses bytes (its quotient bound).
    """

    name = "numpy"
    #: elements per NTT chunk: batches are cut so the working set stays in cache (CPU); None = whole
    chunk_elems: int | None = 1 << 14

    def asarray(self, a: np.ndarray) -> Any:
        return np.asarray(a, dtype=np.int64)

    def to_numpy(self, a: Any) -> np.ndarray:
        return np.asarray(a)

    def digit_bits(self, factor: int) -> int:
        """Data digit width for a twiddle GEMM contracting ``factor`` residues."""
        exact16 = 2 * factor * 0xFFFF * ((1 << MODULUS_BITS) - 1) <= 1 << 53
        return 16 if exact16 else 8

    def digits(self, t: Any, bits: int, axis: int) -> Any:
        """The ``bits``-wide digits of residues < 2^32 as a new axis ``axis``, written straight
        into the GEMM operand (float64 here; offset int8 in the torch backend)."""
        n, mask = 32 // bits, (1 << bits) - 1
        shape = list(t.shape)
        shape.insert(axis, n)
        out = np.empty(shape, dtype=np.float64)
        idx: list[Any] = [slice(None)] * len(shape)
        for s in range(n):
            idx[axis] = s
            out[tuple(idx)] = (t >> (bits * s)) & mask
        return out

    def moveaxis(self, a: Any, src: int, dst: int) -> Any:
        return np.moveaxis(a, src, dst)

    def concat(self, arrays: list[Any], axis: int) -> Any:
        return np.concatenate(arrays, axis=axis)

    def permute(self, a: Any, axes: tuple[int, ...]) -> Any:
        return np.transpose(a, axes)

    def prepare(self, c: np.ndarray, data_bits: int = 8) -> Any:
        """A constant (G, N, K) of ints in [0, 2^28) made ready for :meth:`gemm` with data
        digits of ``data_bits`` bits; SpecError if the float64 sums could exceed 2^53."""
        _check_const(c)
        if c.shape[-1] * ((1 << data_bits) - 1) * ((1 << MODULUS_BITS) - 1) > 1 << 53:
            raise SpecError(f"GEMM depth {c.shape[-1]} with {data_bits}-bit digits exceeds the "
                            "float64 exactness bound 2^53; use smaller NTT factors")
        return np.ascontiguousarray(c, dtype=np.float64)

    @single_blas
    def gemm(self, c: Any, a: Any) -> Any:
        """``c @ a`` exactly: c prepared (G, N, K), a from :meth:`digits` (G, K, cols) → int64."""
        return np.matmul(c, a).astype(np.int64)

    def synchronize(self) -> None:
        return None


def _check_const(c: np.ndarray) -> None:
    if c.min() < 0 or c.max() >= 1 << MODULUS_BITS or c.shape[-1] >= 1 << 17:
        raise SpecError("GEMM constant outside [0, 2^28) or K >= 2^17: the exactness bound "
                        "of the byte GEMM would not hold")


class TorchBackend(Backend):
    """The same kernels on torch tensors; the GEMMs are int8 × int8 → int32 (``torch._int_mm``).

    CUDA's ``_int_mm`` wants more than 16 rows and K, N multiples of 8: with ``pad`` (default on
    CUDA) operands are zero-padded to that and the result sliced back (zero rows/columns of the
    constant add nothing).
    """

    def __init__(self, device: str = "cpu", pad: bool | None = None) -> None:
        from wattlab.errors import require

        self.torch = require("torch", extra="torch", purpose="the torch/int8 RNS backend")
        self.device = device
        self.pad = device.startswith("cuda") if pad is None else pad
        self.chunk_elems = None if device.startswith("cuda") else 1 << 14
        self.name = f"torch-int8:{device}"

    def asarray(self, a: np.ndarray) -> Any:
        return self.torch.as_tensor(np.asarray(a, dtype=np.int64), device=self.device)

    def to_numpy(self, a: Any) -> np.ndarray:
        return a.cpu().numpy() if hasattr(a, "cpu") else np.asarray(a)

    def digit_bits(self, factor: int) -> int:
        return 8

    def digits(self, t: Any, bits: int, axis: int) -> Any:
        mask = (1 << bits) - 1
        parts = [((t >> (bits * s)) & mask) - 128 for s in range(32 // bits)]
        return self.torch.stack(parts, dim=axis).to(self.torch.int8)

    def moveaxis(self, a: Any, src: int, dst: int) -> Any:
        return self.torch.movedim(a, src, dst)

    def concat(self, arrays: list[Any], axis: int) -> Any:
        return self.torch.cat(arrays, dim=axis)

    def permute(self, a: Any, axes: tuple[int, ...]) -> Any:
        return a.permute(*axes)

    def prepare(self, c: np.ndarray, data_bits: int = 8) -> Any:
        _check_const(c)
        if data_bits != 8:
            raise SpecError("the int8 backend takes byte digits only")
        n_dig = -(-MODULUS_BITS // CONST_DIGIT_BITS)
        digs = np.stack([(c >> (CONST_DIGIT_BITS * d)) & ((1 << CONST_DIGIT_BITS) - 1)
                         for d in range(n_dig)], axis=1)           # (G, D, N, K)
        g, _, n, k = digs.shape
        flat = digs.reshape(g, n_dig * n, k)
        corr = 128 * flat.sum(axis=2, keepdims=True)                # undoes the −128 data offset
        if self.pad:
            rows, kp = max(_round8(n_dig * n), 24), _round8(k)
            flat = np.pad(flat, ((0, 0), (0, rows - n_dig * n), (0, kp - k)))
        t = self.torch
        return (t.as_tensor(flat.astype(np.int8), device=self.device),
                t.as_tensor(corr, device=self.device), n_dig)

    def gemm(self, c: Any, a: Any) -> Any:
        digs, corr, n_dig = c
        t = self.torch
        dn, cols = corr.shape[1], a.shape[-1]
        if self.pad:
            fn = t.nn.functional.pad
            a = fn(a, (0, _round8(cols) - cols, 0, digs.shape[2] - a.shape[1]))
        acc = t.stack([t._int_mm(digs[i], a[i if a.shape[0] > 1 else 0])[:dn, :cols]
                       for i in range(digs.shape[0])]).to(t.int64) + corr
        g = acc.shape[0]
        acc = acc.reshape(g, n_dig, dn // n_dig, cols)
        out = acc[:, 0]
        for d in range(1, n_dig):
            out = out + (acc[:, d] << (CONST_DIGIT_BITS * d))
        return out

    def synchronize(self) -> None:
        if self.device.startswith("cuda"):
            self.torch.cuda.synchronize()


def _round8(x: int) -> int:
    return -(-x // 8) * 8


def get_backend(name: str = "numpy", device: str = "cpu") -> Backend:
    if name == "numpy":
        return Backend()
    if name == "torch":
        return TorchBackend(device)
    raise SpecError(f"unknown RNS backend '{name}'; use 'numpy' (float64 BLAS) or 'torch' (int8)")


@dataclass(frozen=True)
class RNSArray:
    """Residues (NM, *shape) of integers X ≡ x (mod p) with 0 <= X <= ``bound``."""

    res: Any
    bound: int
    field: PrimeField

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.res.shape[1:])


class RNSField:
    """GF(p) arithmetic on residue batches, with the modular reduction done by one byte GEMM.

    ``headroom``: how many reduced values may be summed (lazily) into each multiply operand.
    The number of moduli is the smallest that makes ``(headroom·L)^2 <= w_max`` (module docstring).
    """

    def __init__(self, field: PrimeField | str | int, *, headroom: int = 2,
                 backend: Backend | str = "numpy", device: str = "cpu") -> None:
        self.field = get_field(field)
        self.p = self.field.p
        self.backend = get_backend(backend, device) if isinstance(backend, str) else backend
        if headroom < 1:
            raise SpecError(f"headroom must be >= 1, not {headroom}")
        nm = -(-2 * self.field.bits // MODULUS_BITS)
        while True:
            mods = choose_moduli(nm)
            s = sum(max_byte_sum(m) for m in mods)
            big_m = math.prod(mods)
            w_max = (big_m * ((1 << QUOTIENT_SHIFT) - s) - 1) >> QUOTIENT_SHIFT
            lazy = (2 * s - 1) * (self.p - 1)
            if (headroom * lazy) ** 2 <= w_max:
                break
            nm += 1
        self.moduli, self.byte_sum, self.M, self.w_max, self.L = mods, s, big_m, w_max, lazy
        self.headroom = headroom
        self._m = self.backend.asarray(np.array(mods, dtype=np.int64))
        self._setup_crns()

    @property
    def n_moduli(self) -> int:
        return len(self.moduli)

    def _col(self, shape_len: int) -> Any:
        """The moduli as a column broadcasting over (NM, *batch)."""
        return self._m.reshape((-1,) + (1,) * shape_len)

    @cached_property
    def _mont_consts(self) -> tuple[Any, Any, Any]:
        neg_inv = np.array([(-pow(m, -1, 1 << MONT_SHIFT)) % (1 << MONT_SHIFT)
                            for m in self.moduli], dtype=np.int64)
        return self._m, self.backend.asarray(neg_inv & 0xFFFF), self.backend.asarray(neg_inv >> 16)

    def _setup_crns(self) -> None:
        mods, big_m, p = self.moduli, self.M, self.p
        r = 1 << MONT_SHIFT
        rows_i = []
        for m in mods:
            mi = big_m // m
            base = (r * pow(mi, -1, m)) % m
            rows_i += [mi * ((base << (8 * s)) % m) for s in range(BYTES)]   # I_{i,s}
        f = [-(-(i_val << QUOTIENT_SHIFT) // big_m) for i_val in rows_i]
        e = [[((i_val % p) * r) % m for i_val in rows_i] for m in mods]
        c = np.array([*e, f], dtype=np.int64)[None]                         # (1, NM+1, 4NM)
        self._crns_c = self.backend.prepare(c)
        g = np.array([((-big_m % p) * r) % m for m in mods], dtype=np.int64)
        self._g = self.backend.asarray(g)
        self.crns_macs_per_element = c.shape[1] * c.shape[2]

    # -- conversion --------------------------------------------------------------------------
    @single_blas
    def to_rns(self, values: Any) -> RNSArray:
        """Residues of a batch of reduced field elements (checked: SpecError if not in [0, p))."""
        vals = self.field.elements(values)
        limbs = self.field.to_limbs(vals).reshape(-1, self.field.n_limbs).astype(np.float64)
        pw = np.array([[pow(2, LIMB_BITS * k, m) for m in self.moduli]
                       for k in range(self.field.n_limbs)], dtype=np.float64)
        # Σ limb·(2^16k mod m) <= 24·2^16·2^28 < 2^53: exact in float64.
        res = (limbs @ pw).astype(np.int64) % np.array(self.moduli, dtype=np.int64)
        res = res.T.reshape(self.n_moduli, *vals.shape)
        return RNSArray(self.backend.asarray(res), self.p - 1, self.field)

    @single_blas
    def from_rns(self, x: RNSArray) -> np.ndarray:
        """The canonical elements in [0, p) (object array): exact CRT on 16-bit limbs, then % p."""
        self._check(x)
        if 4 * x.bound >= self.M:  # keeps the float estimate of k far from a rounding tie
            raise SpecError("value bound too close to M for reconstruction; reduce() it first")
        res = self.backend.to_numpy(x.res).reshape(self.n_moduli, -1).T % \
            np.array(self.moduli, dtype=np.int64)
        big_m = self.M
        inv = np.array([pow(big_m // m, -1, m) for m in self.moduli], dtype=np.int64)
        xi = res * inv % np.array(self.moduli, dtype=np.int64)          # < 2^29 · 2^28: int64
        k = np.rint((xi / np.array(self.moduli, dtype=np.float64)).sum(axis=1)).astype(np.int64)
        n_l = -(-big_m.bit_length() // LIMB_BITS) + 1
        mi_limbs = self.field.to_limbs(np.array([big_m // m for m in self.moduli], dtype=object),
                                       n_l).astype(np.int64)
        m_limbs = self.field.to_limbs(np.array([big_m], dtype=object), n_l).astype(np.int64)[0]
        lo, hi = (xi & 0x3FFF).astype(np.float64), (xi >> 14).astype(np.float64)
        # products < 2^14·2^16, NM of them per sum: < 2^53, exact in float64 (BLAS)
        mf = mi_limbs.astype(np.float64)
        acc = (lo @ mf).astype(np.int64) + ((hi @ mf).astype(np.int64) << 14) \
            - k[:, None] * m_limbs[None, :]
        for j in range(n_l - 1):                                            # carries
            carry = acc[:, j] >> LIMB_BITS
            acc[:, j] -= carry << LIMB_BITS
            acc[:, j + 1] += carry
        vals = from_limbs(acc.astype(np.uint16)) % self.p
        return vals.reshape(x.shape)

    # -- arithmetic --------------------------------------------------------------------------
    def _check(self, *xs: RNSArray) -> None:
        for x in xs:
            if x.field != self.field:
                raise SpecError(f"RNS array of field '{x.field.name}' used with an RNSField of "
                                f"'{self.field.name}'; convert it with this field's to_rns()")

    def _mont(self, z: Any) -> Any:
        """z·R^{-1} mod m per residue, lazily in [0, 2m), for 0 <= z < m·2^32.

        No intermediate exceeds 2^61 (nothing relies on integer wrap-around): the low product
        ``(z mod R)·(−m^{-1}) mod R`` is formed from 16-bit halves of the constant (< 2^48 each).
        """
        m, lo, hi = self._mont_consts
        col = (-1,) + (1,) * (z.ndim - 1)
        m, lo, hi = m.reshape(col), lo.reshape(col), hi.reshape(col)
        zl = z & _MASK32                      # in-place from here: no further temporaries
        q = zl * hi
        q &= 0xFFFF
        q <<= 16
        zl *= lo
        q += zl
        q &= _MASK32
        q *= m
        q += z
        q >>= MONT_SHIFT
        return q

    def _crns(self, t: Any) -> Any:
        """CRNS of Montgomery-domain residues t (NM, *batch): residues of Z (module docstring)."""
        shape = t.shape
        a = self.backend.digits(t.reshape(self.n_moduli, -1), 8, axis=1)
        a = a.reshape(1, BYTES * self.n_moduli, -1)
        out = self.backend.gemm(self._crns_c, a)[0]                        # (NM+1, cols)
        k = out[-1] >> QUOTIENT_SHIFT
        z = out[:-1] + k[None, :] * self._g.reshape(-1, 1)
        return self._mont(z).reshape(shape)

    def mul(self, a: RNSArray, b: RNSArray | Any) -> RNSArray:
        """a·b, reduced to bound L; b may be an RNSArray or raw residues of reduced constants."""
        if not isinstance(b, RNSArray):
            b = RNSArray(b, self.p - 1, self.field)
        self._check(a, b)
        if a.bound * b.bound > self.w_max:
            raise SpecError(f"lazy product bound {a.bound * b.bound:.3e} exceeds this RNS base's "
                            f"limit {self.w_max:.3e}: reduce() an operand first (or build the "
                            "RNSField with a larger headroom)")
        return RNSArray(self._crns(self._mont(a.res * b.res)), self.L, self.field)

    def reduce(self, a: RNSArray) -> RNSArray:
        """An equivalent value with bound L (one CRNS)."""
        self._check(a)
        if a.bound > self.w_max:
            raise SpecError("value bound exceeds the CRNS limit; it was summed too lazily")
        return RNSArray(self._crns(self._mont(a.res)), self.L, self.field)

    def _fold(self, r: Any) -> Any:
        """Residues back into [0, 2m)."""
        two_m = 2 * self._col(r.ndim - 1)
        return r % two_m

    def add(self, a: RNSArray, b: RNSArray) -> RNSArray:
        self._check(a, b)
        return RNSArray(self._fold(a.res + b.res), a.bound + b.bound, self.field)

    def neg(self, a: RNSArray) -> RNSArray:
        """K·p − a for the smallest K with K·p >= bound(a): non-negative, ≡ −a."""
        self._check(a)
        kp = -(-a.bound // self.p) * self.p
        col = np.array([kp % m + 2 * m for m in self.moduli], dtype=np.int64)
        c = self.backend.asarray(col).reshape((-1,) + (1,) * (a.res.ndim - 1))
        return RNSArray(self._fold(c - a.res), kp, self.field)

    def sub(self, a: RNSArray, b: RNSArray) -> RNSArray:
        return self.add(a, self.neg(b))
