"""Prime fields of 64 to 384 bits, with vectorised batches of elements.

Elements are Python integers in ``[0, p)``; a batch is a NumPy ``object`` array of them (the
exact reference). Fast arithmetic lives in :mod:`wattlab.kernels.rns`, which converts batches to
residues with :meth:`PrimeField.to_limbs` (16-bit limbs, one GEMM away from residues).

The named fields are the scalar fields of BN254 and BLS12-381 (the NTT fields of Groth16/PLONK),
their base fields (where the G1 curves live) and the BLS12-377 fields MORPH uses; all constants
are the published curve parameters (pure math, not hardware numbers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from wattlab.errors import SpecError

LIMB_BITS = 16


@dataclass(frozen=True)
class PrimeField:
    """GF(p) for an odd prime ``p`` of 64 to 384 bits.

    ``generator`` is a generator of the multiplicative group when known (galois uses it to skip
    its slow field search); roots of unity come from any quadratic non-residue.
    """

    name: str
    p: int
    generator: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not 64 <= self.p.bit_length() <= 384 or self.p % 2 == 0:
            raise SpecError(f"field '{self.name}': p has {self.p.bit_length()} bits; wattlab "
                            "supports odd primes of 64 to 384 bits")
        if not is_probable_prime(self.p):
            raise SpecError(f"field '{self.name}': p = {self.p} is not prime (Miller-Rabin)")

    @property
    def bits(self) -> int:
        return self.p.bit_length()

    @cached_property
    def two_adicity(self) -> int:
        """The largest s with 2^s | p − 1: the largest power-of-two NTT the field supports."""
        return ((self.p - 1) & -(self.p - 1)).bit_length() - 1

    @cached_property
    def _two_adic_root(self) -> int:
        """g^((p−1)/2^s) for the generator g (galois's convention), else for the smallest
        quadratic non-residue; either has order exactly 2^s."""
        q = self.generator or 2
        while pow(q, (self.p - 1) // 2, self.p) == 1:
            q += 1
        return pow(q, (self.p - 1) >> self.two_adicity, self.p)

    def root_of_unity(self, n: int) -> int:
        """A primitive n-th root of unity, n a power of two within the two-adicity."""
        log_n = check_pow2(n, "NTT size")
        if log_n > self.two_adicity:
            raise SpecError(f"field '{self.name}' has two-adicity {self.two_adicity}; an NTT of "
                            f"size 2^{log_n} needs 2^{log_n} | p − 1; use log_n <= {self.two_adicity}")
        return pow(self._two_adic_root, 1 << (self.two_adicity - log_n), self.p)

    def inv(self, a: int) -> int:
        if a % self.p == 0:
            raise SpecError(f"field '{self.name}': 0 has no inverse")
        return pow(a, -1, self.p)

    # -- batches -----------------------------------------------------------------------------
    def elements(self, values: Iterable[int] | np.ndarray, what: str = "input") -> np.ndarray:
        """A checked batch: an object array of ints, each reduced into [0, p) — else SpecError."""
        arr = np.array(values, dtype=object) if not isinstance(values, np.ndarray) \
            else values.astype(object)
        flat = arr.ravel()
        for i, v in enumerate(flat):
            if not isinstance(v, int | np.integer) or not 0 <= int(v) < self.p:
                raise SpecError(f"{what}[{i}] = {v!r} is not a reduced element of {self.name} "
                                f"(needs an int in [0, p), p = {self.p}); reduce it with % p")
        return np.array([int(v) for v in flat], dtype=object).reshape(arr.shape)

    def random(self, rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
        """Uniform random elements (object array)."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        count = int(np.prod(shape))
        nbytes = (self.bits + 7) // 8 + 8
        raw = rng.integers(0, 256, size=(count, nbytes), dtype=np.uint8).tobytes()
        vals = [int.from_bytes(raw[i * nbytes:(i + 1) * nbytes], "little") % self.p
                for i in range(count)]
        return np.array(vals, dtype=object).reshape(shape)

    @property
    def n_limbs(self) -> int:
        return -(-self.bits // LIMB_BITS)

    def to_limbs(self, values: np.ndarray, n_limbs: int | None = None) -> np.ndarray:
        """Little-endian 16-bit limbs of non-negative ints: shape (..., n_limbs), uint16."""
        n_limbs = n_limbs or self.n_limbs
        nb = 2 * n_limbs
        raw = b"".join(int(v).to_bytes(nb, "little") for v in values.ravel())
        return np.frombuffer(raw, dtype="<u2").reshape(*values.shape, n_limbs)


def from_limbs(limbs: np.ndarray) -> np.ndarray:
    """Ints from little-endian 16-bit limbs (..., L) in [0, 2^16): an object array (...)."""
    lead = limbs.shape[:-1]
    raw = np.ascontiguousarray(limbs, dtype="<u2").tobytes()
    nb = 2 * limbs.shape[-1]
    vals = [int.from_bytes(raw[i:i + nb], "little") for i in range(0, len(raw), nb)]
    return np.array(vals, dtype=object).reshape(lead)


def is_probable_prime(n: int, bases: tuple[int, ...] = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31,
                                                         37, 41)) -> bool:
    """Miller–Rabin with fixed bases (deterministic below 3.3e24; overwhelming beyond)."""
    if n < 2 or n % 2 == 0:
        return n == 2
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1) or a % n == 0:
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def check_pow2(n: int, what: str) -> int:
    """log2(n) if n is a power of two >= 2, else SpecError."""
    if not isinstance(n, int | np.integer) or n < 2 or n & (n - 1):
        raise SpecError(f"{what} must be a power of two >= 2, not {n!r}; pad to the next power of two")
    return int(n).bit_length() - 1


BN254_FR = PrimeField(
    "bn254-fr", 21888242871839275222246405745257275088548364400416034343698204186575808495617, 5)
BN254_FQ = PrimeField(
    "bn254-fq", 21888242871839275222246405745257275088696311157297823662689037894645226208583, 3)
BLS12_381_FR = PrimeField(
    "bls12-381-fr", 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001, 7)
BLS12_381_FQ = PrimeField(
    "bls12-381-fq", int("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eab"
                        "fffeb153ffffb9feffffffffaaab", 16), 2)
BLS12_377_FR = PrimeField(
    "bls12-377-fr", 0x12AB655E9A2CA55660B44D1E5C37B00159AA76FED00000010A11800000000001, 22)
BLS12_377_FQ = PrimeField(
    "bls12-377-fq", int("01ae3a4617c510eac63b05c06ca1493b1a22d9f300f5138f1ef3622fba094800170b"
                        "5d44300000008508c00000000001", 16), 15)
GOLDILOCKS = PrimeField("goldilocks", 2**64 - 2**32 + 1, 7)

FIELDS: dict[str, PrimeField] = {f.name: f for f in (
    BN254_FR, BN254_FQ, BLS12_381_FR, BLS12_381_FQ, BLS12_377_FR, BLS12_377_FQ, GOLDILOCKS)}
# Curve names select the curve's scalar field (the field NTTs and MSM scalars live in).
ALIASES = {"bn254": "bn254-fr", "bls12-381": "bls12-381-fr", "bls12-377": "bls12-377-fr"}


def get_field(name: str | int | PrimeField) -> PrimeField:
    """A named field (curve names give the scalar field), an existing field, or GF(p) for int p."""
    if isinstance(name, PrimeField):
        return name
    if isinstance(name, int):
        return PrimeField(f"gf({name})", name)
    key = ALIASES.get(name.lower(), name.lower())
    if key not in FIELDS:
        raise SpecError(f"unknown field '{name}'; known: {', '.join([*ALIASES, *FIELDS])}")
    return FIELDS[key]


__all__ = ["FIELDS", "PrimeField", "check_pow2", "from_limbs", "get_field"]
