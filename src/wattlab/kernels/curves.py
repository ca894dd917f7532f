"""Short-Weierstrass G1 groups y^2 = x^3 + b (a = 0): BN254 and BLS12-381, Jacobian coordinates.

A Jacobian point (X, Y, Z) stands for the affine (X/Z^2, Y/Z^3); Z = 0 is the point at infinity.
Arithmetic is on Python ints (the exact reference MSM builds on); formulas are the standard a = 0
ones (dbl-2009-l, add-2007-bl, madd-2007-bl from the Explicit-Formulas Database), re-derived.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattlab.errors import SpecError
from wattlab.kernels.fields import (
    BLS12_381_FQ,
    BLS12_381_FR,
    BN254_FQ,
    BN254_FR,
    PrimeField,
)

Affine = tuple[int, int] | None        # None is the point at infinity
Jacobian = tuple[int, int, int]
INFINITY: Jacobian = (1, 1, 0)


@dataclass(frozen=True)
class Curve:
    """G1 of a pairing curve: base field, b, scalar field (the group order r) and generator."""

    name: str
    base: PrimeField
    b: int
    scalar: PrimeField
    generator: tuple[int, int]

    def is_on_curve(self, pt: Affine) -> bool:
        if pt is None:
            return True
        x, y = pt
        p = self.base.p
        return 0 <= x < p and 0 <= y < p and (y * y - x * x * x - self.b) % p == 0

    def point(self, x: int, y: int) -> tuple[int, int]:
        """A checked affine point: SpecError if (x, y) is not on the curve."""
        if not self.is_on_curve((x, y)):
            raise SpecError(f"({x}, {y}) is not a point of {self.name} G1 (y^2 != x^3 + {self.b} "
                            "mod p, or a coordinate is not reduced)")
        return (x, y)

    def to_jacobian(self, pt: Affine) -> Jacobian:
        return INFINITY if pt is None else (pt[0], pt[1], 1)

    def to_affine(self, pt: Jacobian) -> Affine:
        x, y, z = pt
        if z == 0:
            return None
        p = self.base.p
        zi = pow(z, -1, p)
        zi2 = zi * zi % p
        return (x * zi2 % p, y * zi2 * zi % p)

    def neg(self, pt: Jacobian) -> Jacobian:
        return (pt[0], -pt[1] % self.base.p, pt[2])

    def double(self, pt: Jacobian) -> Jacobian:
        x, y, z = pt
        p = self.base.p
        if z == 0 or y == 0:
            return INFINITY
        a, b = x * x % p, y * y % p
        c = b * b % p
        d = 2 * ((x + b) ** 2 - a - c) % p
        e = 3 * a % p
        x3 = (e * e - 2 * d) % p
        return (x3, (e * (d - x3) - 8 * c) % p, 2 * y * z % p)

    def add(self, p1: Jacobian, p2: Jacobian) -> Jacobian:
        if p1[2] == 0:
            return p2
        if p2[2] == 0:
            return p1
        p = self.base.p
        x1, y1, z1 = p1
        x2, y2, z2 = p2
        z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
        u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
        s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
        h, r = (u2 - u1) % p, 2 * (s2 - s1) % p
        if h == 0:
            return self.double(p1) if r == 0 else INFINITY
        i = 4 * h * h % p
        j, v = h * i % p, u1 * i % p
        x3 = (r * r - j - 2 * v) % p
        y3 = (r * (v - x3) - 2 * s1 * j) % p
        return (x3, y3, ((z1 + z2) ** 2 - z1z1 - z2z2) * h % p)

    def add_mixed(self, p1: Jacobian, q: Affine) -> Jacobian:
        """p1 + q for an affine q (Z2 = 1 saves four multiplications)."""
        if q is None:
            return p1
        if p1[2] == 0:
            return (q[0], q[1], 1)
        p = self.base.p
        x1, y1, z1 = p1
        z1z1 = z1 * z1 % p
        u2, s2 = q[0] * z1z1 % p, q[1] * z1 * z1z1 % p
        h, r = (u2 - x1) % p, 2 * (s2 - y1) % p
        if h == 0:
            return self.double(p1) if r == 0 else INFINITY
        hh = h * h % p
        i = 4 * hh
        j, v = h * i % p, x1 * i % p
        x3 = (r * r - j - 2 * v) % p
        y3 = (r * (v - x3) - 2 * y1 * j) % p
        return (x3, y3, ((z1 + h) ** 2 - z1z1 - hh) % p)

    def mul(self, pt: Affine, k: int) -> Jacobian:
        """k·pt by left-to-right double-and-add with mixed additions."""
        acc = INFINITY
        for bit in bin(k % self.scalar.p)[2:]:
            acc = self.double(acc)
            if bit == "1":
                acc = self.add_mixed(acc, pt)
        return acc


BN254 = Curve("bn254", BN254_FQ, 3, BN254_FR, (1, 2))
BLS12_381 = Curve(
    "bls12-381", BLS12_381_FQ, 4, BLS12_381_FR,
    (int("17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeff"
         "b3af00adb22c6bb", 16),
     int("08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40"
         "caa232946c5e7e1", 16)))
CURVES = {c.name: c for c in (BN254, BLS12_381)}


def get_curve(name: str | Curve) -> Curve:
    if isinstance(name, Curve):
        return name
    if name.lower() not in CURVES:
        raise SpecError(f"unknown curve '{name}'; known: {', '.join(CURVES)} (BLS12-377 has "
                        "fields here but no curve)")
    return CURVES[name.lower()]
