"""The GEMM workload: out[M, N] = a[M, K] @ b[K, N]."""

from __future__ import annotations

from dataclasses import dataclass

from wattlab.errors import SpecError


@dataclass(frozen=True)
class Gemm:
    """A matrix product of shape (M, K) x (K, N), repeated ``batch`` times."""

    m: int
    k: int
    n: int
    batch: int = 1

    def __post_init__(self) -> None:
        for name in ("m", "k", "n", "batch"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise SpecError(f"Gemm.{name} must be a positive integer, got {v!r}")

    @property
    def macs(self) -> int:
        return self.batch * self.m * self.k * self.n

    @property
    def ops(self) -> int:
        """Operations, counting a multiply-accumulate as two."""
        return 2 * self.macs

    @classmethod
    def of(cls, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> Gemm:
        """The GEMM of ``a @ b`` (leading dimensions of ``a`` fold into M); checks shapes."""
        if len(a_shape) < 1 or len(b_shape) != 2:
            raise SpecError(f"matmul needs a[..., K] and b[K, N]; got a{a_shape}, b{b_shape}")
        if a_shape[-1] != b_shape[0]:
            raise SpecError(f"inner dimensions differ: a{a_shape} has K={a_shape[-1]} but b{b_shape} "
                            f"has K={b_shape[0]}; transpose or reshape one operand")
        m = 1
        for d in a_shape[:-1]:
            m *= d
        return cls(m=max(m, 1), k=a_shape[-1], n=b_shape[1])
