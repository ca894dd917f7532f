"""A vectorised radix-2 butterfly NTT on multi-limb Montgomery arithmetic in NumPy (uint64).

The comparison point for the matrix-form NTT on a CPU: the same transform as
:func:`wattlab.kernels.ntt.ntt_reference` (decimation in time, bit-reversed input, the same root
of unity), but every field element is ``L`` little-endian 32-bit limbs held in uint64 lanes
(shape ``(L, ...)``) and every stage runs all ``n/2`` butterflies as whole-array operations.

Products use Montgomery multiplication with ``R = 2^(32 L)`` in operand-scanning form with
delayed carries: each of the ``L`` rounds adds the low and high 32-bit halves of ``a_i · b`` and
of ``m · p`` (``m = t_i · (−p^{−1}) mod 2^32``) into a ``2L + 1``-limb accumulator, whose limbs
stay below ``2^(32 + 2 + log2(L + 1))`` so nothing overflows 64 bits; one carry pass and one
conditional subtraction finish it. Twiddles are stored in Montgomery form (``w·R mod p``), so
``mont(x, w·R) = x·w mod p`` and the data never leaves normal form.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wattlab.kernels.fields import PrimeField, check_pow2, get_field

_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


def to_limbs32(values: np.ndarray, n_limbs: int) -> np.ndarray:
    """Ints (object array, any shape) as 32-bit limbs in uint64: shape (n_limbs, *shape)."""
    flat = [int(v) for v in np.asarray(values, dtype=object).ravel()]
    raw = b"".join(v.to_bytes(4 * n_limbs, "little") for v in flat)
    limbs = np.frombuffer(raw, dtype="<u4").reshape(len(flat), n_limbs).astype(np.uint64)
    return np.ascontiguousarray(limbs.T.reshape(n_limbs, *np.shape(values)))


def from_limbs32(limbs: np.ndarray) -> np.ndarray:
    """The ints (object array) of 32-bit limbs of shape (L, ...)."""
    n_limbs = limbs.shape[0]
    flat = limbs.reshape(n_limbs, -1).T.astype("<u4")
    out = [int.from_bytes(row.tobytes(), "little") for row in flat]
    return np.array(out, dtype=object).reshape(limbs.shape[1:])


class Montgomery:
    """Vectorised arithmetic mod ``p`` on 32-bit limbs (shape ``(L, ...)``, uint64 lanes)."""

    def __init__(self, field: PrimeField) -> None:
        self.field = field
        self.p = field.p
        self.n_limbs = -(-field.bits // 32)
        self.r = 1 << (32 * self.n_limbs)
        self.pinv = np.uint64((-pow(self.p, -1, 1 << 32)) % (1 << 32))
        self.p_limbs = to_limbs32(np.array([self.p], dtype=object), self.n_limbs)[:, 0]
        self._p_col = self.p_limbs.reshape(self.n_limbs, 1)

    def to_mont(self, values: np.ndarray) -> np.ndarray:
        """``x·R mod p`` as limbs (for constants such as twiddles)."""
        v = np.asarray(values, dtype=object)
        return to_limbs32(np.vectorize(lambda x: int(x) * self.r % self.p, otypes=[object])(v),
                          self.n_limbs)

    def _reduce_once(self, t: np.ndarray) -> np.ndarray:
        """``t − p`` where ``t ≥ p``, else ``t`` (``t`` normalised limbs, ``t < 2p``)."""
        p = self.p_limbs.astype(np.int64)
        d = np.empty((self.n_limbs, *t.shape[1:]), dtype=np.int64)
        borrow = np.zeros(t.shape[1:], dtype=np.int64)
        for j in range(self.n_limbs):
            x = t[j].astype(np.int64) - p[j] - borrow
            borrow = (x < 0).astype(np.int64)
            d[j] = x + (borrow << 32)
        if t.shape[0] > self.n_limbs:  # a carry limb above the top
            borrow = borrow - t[self.n_limbs].astype(np.int64)
        keep = borrow > 0  # t < p: keep t
        return np.where(keep, t[: self.n_limbs], d.astype(np.uint64))

    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a·b·R^{-1} mod p`` (limbs in, limbs out; shapes broadcast after the limb axis)."""
        n = self.n_limbs
        shape = np.broadcast_shapes(a.shape[1:], b.shape[1:])
        t = np.zeros((2 * n + 1, *shape), dtype=np.uint64)
        p = self._p_col.reshape(n, *([1] * len(shape)))
        for i in range(n):
            prod = a[i] * b
            t[i:i + n] += prod & _M32
            t[i + 1:i + n + 1] += prod >> _S32
            m = (t[i] * self.pinv) & _M32
            mp = m * p
            t[i:i + n] += mp & _M32
            t[i + 1:i + n + 1] += mp >> _S32
            t[i + 1] += t[i] >> _S32  # t[i] is now 0 mod 2^32: carry its high part up
        r = t[n:]
        for j in range(n):  # one carry pass over the n + 1 result limbs
            r[j + 1] += r[j] >> _S32
            r[j] &= _M32
        return self._reduce_once(r)

    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        s = np.empty((self.n_limbs + 1, *np.broadcast_shapes(a.shape[1:], b.shape[1:])),
                     dtype=np.uint64)
        carry = np.uint64(0)
        for j in range(self.n_limbs):
            x = a[j] + b[j] + carry
            s[j] = x & _M32
            carry = x >> _S32
        s[self.n_limbs] = carry
        return self._reduce_once(s)

    def sub(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a − b mod p``: ``a + (p − b)`` (``p − b`` in ``(0, p]``, reduced by ``add``)."""
        nb = np.empty(b.shape, dtype=np.uint64)
        borrow = np.zeros(b.shape[1:], dtype=np.int64)
        for j in range(self.n_limbs):
            x = np.int64(int(self.p_limbs[j])) - b[j].astype(np.int64) - borrow
            borrow = (x < 0).astype(np.int64)
            nb[j] = (x + (borrow << 32)).astype(np.uint64)
        return self.add(a, nb)


class ButterflyNTT:
    """Forward radix-2 NTT of size ``2^log_n`` on limbs, all butterflies of a stage at once."""

    def __init__(self, field: PrimeField | str, log_n: int) -> None:
        self.field = get_field(field)
        self.mont = Montgomery(self.field)
        self.n = 1 << log_n
        check_pow2(self.n, "NTT size")
        self.log_n = log_n
        self.rev = np.array([int(format(i, f"0{log_n}b")[::-1], 2) for i in range(self.n)])
        p, w = self.field.p, self.field.root_of_unity(self.n)
        self.twiddles = []
        for s in range(1, log_n + 1):
            half = 1 << (s - 1)
            wm = pow(w, self.n >> s, p)
            pw = np.array([pow(wm, j, p) for j in range(half)], dtype=object)
            self.twiddles.append(self.mont.to_mont(pw).reshape(self.mont.n_limbs, 1, half))

    def to_limbs(self, values: Any) -> np.ndarray:
        return to_limbs32(self.field.elements(values), self.mont.n_limbs)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The NTT of ``x`` (limbs of shape ``(L, n)``), as limbs in natural order."""
        L, n = self.mont.n_limbs, self.n
        a = x[:, self.rev]
        for s in range(1, self.log_n + 1):
            half = 1 << (s - 1)
            blocks = a.reshape(L, n // (2 * half), 2 * half)
            u, v = blocks[..., :half], self.mont.mul(blocks[..., half:], self.twiddles[s - 1])
            a = np.concatenate([self.mont.add(u, v), self.mont.sub(u, v)], axis=-1).reshape(L, n)
        return a


__all__ = ["ButterflyNTT", "Montgomery", "from_limbs32", "to_limbs32"]
