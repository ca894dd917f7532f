"""Generalized code–spatial index modulation (after Yuan et al., arXiv 2604.21812) and the
code-domain baselines it contains.

A frame spans ``T`` slots of ``L`` chips. Index bits choose the active antenna (SM) or antenna
pair (STBC-SM) and the spreading code(s); the remaining bits choose M-PSK symbols. The
transmitter is reconstructed from the CIM/SM/STBC-SM literature (research notes §4.2) and is a
stated assumption wherever the paper body was not available:

* ``variant="sm"``: SM-CIM, one active antenna, one code per frame (``n_tx=1`` gives CIM-SS,
  ``n_codes=1`` as well gives DSSS).
* ``variant="stbc"``: STBC-SM-CIM, an Alamouti block over two slots on an antenna pair chosen
  from non-overlapping pair groups with group rotations (Basar et al. 2011), one code per block.
* ``variant="estbc"``: ESTBC-SM-CIM reconstructed as STBC-SM-CIM with an independent code per
  slot (``+log2 n_codes`` bits) — an assumption, the paper's exact construction was not seen.

Every slot carries energy Es = 1; Eb = T / bits_per_frame. Detectors: ``ml`` (joint search over
antenna, code and symbols; exact ML for any equal-norm codebook), ``low-complexity`` (despread
with every code, pick the code of largest energy, then antenna and symbols) and ``noncoherent``
(code energy only; for schemes whose only information is the code, e.g. M-ary FSK).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.radio import theory
from wattlab.systems.radio._checks import choice, positive_int, power_of_two
from wattlab.systems.radio.baselines import CHUNK_ELEMENTS, cnoise, rayleigh
from wattlab.systems.radio.codes import FAMILIES, codebook
from wattlab.systems.radio.union_bound import union_bound

VARIANTS = ("sm", "stbc", "estbc")
DETECTORS = ("ml", "low-complexity", "noncoherent")


def psk_points(order: int) -> np.ndarray:
    """M-PSK constellation (unit energy) indexed by position; label of position i is gray(i)."""
    if order == 1:
        return np.ones(1, complex)
    offset = 0.0 if order == 2 else np.pi / order
    return np.exp(1j * (2 * np.pi * np.arange(order) / order + offset))


def gray(i: np.ndarray) -> np.ndarray:
    return i ^ (i >> 1)


def antenna_pairs(n_tx: int) -> tuple[list[tuple[int, int]], list[int]]:
    """Basar-style STBC-SM pair codebook: 2^floor(log2 C(n_tx, 2)) pairs, grouped so that the
    pairs of one group do not overlap; returns the pairs and each pair's group number."""
    remaining = list(itertools.combinations(range(n_tx), 2))
    size = 1 << math.floor(math.log2(len(remaining)))
    pairs: list[tuple[int, int]] = []
    groups: list[int] = []
    g = 0
    while len(pairs) < size:
        used: set[int] = set()
        for p in list(remaining):
            if not used & set(p) and len(pairs) < size:
                pairs.append(p)
                groups.append(g)
                used |= set(p)
                remaining.remove(p)
        g += 1
    return pairs, groups


@dataclass(frozen=True)
class IndexModulation:
    """An index-modulation link: transmitter, Rayleigh/AWGN channel, despreading and detector."""

    variant: str = "sm"
    n_tx: int = 1
    n_rx: int = 1
    n_codes: int = 1
    code_length: int = 16
    family: str = "walsh"
    psk_order: int = 2
    channel: str = "rayleigh"
    detector: str = "ml"
    rotation: float | None = None  # STBC group rotation (rad); default 2π/(M·groups)
    codes: np.ndarray = field(init=False, repr=False, compare=False)
    st_symbols: np.ndarray = field(init=False, repr=False, compare=False)  # (M_st, T, n_tx)
    st_labels: np.ndarray = field(init=False, repr=False, compare=False)
    slot_group: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        choice(self.variant, VARIANTS, "variant")
        choice(self.family, FAMILIES, "family")
        choice(self.channel, theory.CHANNELS, "channel")
        choice(self.detector, DETECTORS, "detector")
        positive_int(self.n_rx, "n_rx")
        power_of_two(self.psk_order, "psk_order")
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        set_("codes", codebook(self.family, self.code_length, self.n_codes))
        pts = psk_points(self.psk_order)
        mb = int(math.log2(self.psk_order))
        idx = np.arange(self.psk_order)
        if self.variant == "sm":
            power_of_two(self.n_tx, "n_tx")
            ant, sym = np.meshgrid(np.arange(self.n_tx), idx, indexing="ij")
            S = np.zeros((self.n_tx * self.psk_order, 1, self.n_tx), complex)
            S[np.arange(S.shape[0]), 0, ant.ravel()] = pts[sym.ravel()]
            labels = (ant.ravel() << mb) | gray(sym.ravel())
            set_("slot_group", (0,))
        else:
            if self.n_tx < 2:
                raise SpecError(
                    f"n_tx: {self.n_tx} antennas cannot carry an Alamouti block; "
                    f"variant '{self.variant}' needs n_tx >= 2"
                )
            if self.psk_order < 2:
                raise SpecError("psk_order: STBC variants need modulated symbols (psk_order >= 2)")
            pairs, groups = antenna_pairs(self.n_tx)
            n_groups = max(groups) + 1
            theta = self.rotation if self.rotation is not None else 2 * np.pi / (self.psk_order * n_groups)
            p, i1, i2 = (a.ravel() for a in np.meshgrid(np.arange(len(pairs)), idx, idx, indexing="ij"))
            rot = np.exp(1j * theta * np.asarray(groups))[p]
            s1, s2 = pts[i1] * rot / np.sqrt(2), pts[i2] * rot / np.sqrt(2)
            a, b = np.asarray(pairs)[p].T
            S = np.zeros((p.size, 2, self.n_tx), complex)
            r = np.arange(p.size)
            S[r, 0, a], S[r, 0, b] = s1, s2
            S[r, 1, a], S[r, 1, b] = -s2.conj(), s1.conj()
            labels = (p << (2 * mb)) | (gray(i1) << mb) | gray(i2)
            set_("slot_group", (0, 0) if self.variant == "stbc" else (0, 1))
        set_("st_symbols", S)
        set_("st_labels", labels.astype(np.int64))
        if self.detector == "noncoherent" and self.n_st != 1:
            raise SpecError(
                "detector: 'noncoherent' decides only the code; it needs n_tx=1 and "
                "psk_order=1 (no antenna or symbol bits)"
            )

    # -- bookkeeping ---------------------------------------------------------------------------
    @property
    def n_st(self) -> int:
        """Number of antenna/symbol (space–time) candidates."""
        return self.st_symbols.shape[0]

    @property
    def n_slots(self) -> int:
        return len(self.slot_group)

    @property
    def n_code_groups(self) -> int:
        return max(self.slot_group) + 1

    @property
    def code_bits(self) -> int:
        return self.n_code_groups * int(math.log2(self.n_codes))

    @property
    def bits_per_frame(self) -> int:
        return int(math.log2(self.n_st)) + self.code_bits

    @property
    def index_bits(self) -> int:
        """Bits carried by antenna and code selection (no transmit energy of their own)."""
        return self.bits_per_frame - self.modulated_bits

    @property
    def modulated_bits(self) -> int:
        return (2 if self.variant != "sm" else 1) * int(math.log2(self.psk_order))

    @property
    def name(self) -> str:
        kind = {
            "sm": "SM-CIM" if self.n_tx > 1 else ("CIM-SS" if self.n_codes > 1 else "DSSS"),
            "stbc": "STBC-SM-CIM",
            "estbc": "ESTBC-SM-CIM",
        }[self.variant]
        return (
            f"{kind} (Nt={self.n_tx}, Nr={self.n_rx}, Nc={self.n_codes}, {self.psk_order}-PSK, "
            f"L={self.code_length} {self.family}, {self.channel}, {self.detector})"
        )

    @property
    def chunk_frames(self) -> int:
        T, R, C = self.n_slots, self.n_rx, self.n_codes
        per_frame = max(T * R * self.code_length, self.n_st * T * max(R, C), T * R * C)
        return max(1, CHUNK_ELEMENTS // per_frame)

    def samples_per_bit(self) -> float:
        """Chips per bit (the converter rate relative to the bit rate)."""
        return self.n_slots * self.code_length / self.bits_per_frame

    # -- link ----------------------------------------------------------------------------------
    def transmit(
        self, n_frames: int, ebn0: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Draw frames; return (space–time index, code indices, channel, despread outputs Z).

        Z has shape (frames, T, n_rx, n_codes): every code correlated with every slot.
        """
        T, L = self.n_slots, self.code_length
        m = rng.integers(0, self.n_st, n_frames)
        k = rng.integers(0, self.n_codes, (n_frames, self.n_code_groups))
        hshape = (n_frames, self.n_rx, self.n_tx)
        h = rayleigh(hshape, rng) if self.channel == "rayleigh" else np.ones(hshape, complex)
        g = np.einsum("frt,fst->fsr", h, self.st_symbols[m])  # (F, T, R) received symbol
        chips = self.codes[k[:, self.slot_group]]  # (F, T, L)
        n0 = T / (self.bits_per_frame * ebn0)
        y = g[..., None] * chips[:, :, None, :] / np.sqrt(L)
        y += cnoise(y.shape, n0, rng)
        z = y @ (self.codes.conj().T / np.sqrt(L))  # despread with every code
        return m, k, h, z

    def _group_sum(self, x: np.ndarray, axis: int) -> np.ndarray:
        """Sum the slot axis over slots that share a code (every slot its own, or all one)."""
        return x if self.n_code_groups == self.n_slots else x.sum(axis=axis, keepdims=True)

    def detect(self, h: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Decide (space–time index, code indices) from the despread outputs."""
        F = z.shape[0]
        groups = np.asarray(self.slot_group)
        if self.detector != "ml":
            energy = (np.abs(z) ** 2).sum(axis=2)  # (F, T, C)
            k_hat = self._group_sum(energy, axis=1).argmax(axis=2)
            if self.detector == "noncoherent":
                return np.zeros(F, np.int64), k_hat
        M, T = self.n_st, self.n_slots
        # noiseless candidate outputs, (F, T, M, R): batched matmuls instead of einsum
        G = (h @ self.st_symbols.reshape(M * T, -1).T).reshape(F, self.n_rx, M, T).transpose(0, 3, 2, 1)
        penalty = (G.real**2 + G.imag**2).sum(axis=(1, 3))  # (F, M)
        if self.detector == "ml":
            A = (G.conj() @ z).real  # (F, T, M, C)
            per_group = self._group_sum(A, axis=1)  # (F, groups, M, C)
            best = per_group.argmax(axis=3)  # (F, groups, M)
            score = 2 * np.take_along_axis(per_group, best[..., None], 3)[..., 0].sum(axis=1) - penalty
            m_hat = score.argmax(axis=1)
            return m_hat, best[np.arange(F), :, m_hat]
        zk = np.take_along_axis(z, k_hat[:, groups][:, :, None, None], axis=3)  # (F, T, R, 1)
        score = 2 * (G.conj() @ zk)[..., 0].real.sum(axis=1) - penalty
        return score.argmax(axis=1), k_hat

    def frame_errors(self, n_frames: int, ebn0: float, rng: np.random.Generator) -> np.ndarray:
        m, k, h, z = self.transmit(n_frames, ebn0, rng)
        m_hat, k_hat = self.detect(h, z)
        err = np.bitwise_count(self.st_labels[m] ^ self.st_labels[m_hat]).astype(np.int64)
        return err + np.bitwise_count(k ^ k_hat).sum(axis=1)

    # -- theory --------------------------------------------------------------------------------
    def ber_theory(self, ebn0: np.ndarray | float) -> np.ndarray:
        """Exact BER where a closed form exists (DSSS-BPSK/QPSK, non-coherent orthogonal codes),
        otherwise the union bound (ML detection)."""

        g = np.asarray(ebn0, dtype=float)
        if self.detector == "noncoherent":
            ser = theory.ser_noncoherent_orthogonal(
                self.n_codes, g * self.bits_per_frame, n_rx=self.n_rx, channel=self.channel
            )
            return theory.bit_from_symbol_errors_orthogonal(ser, self.n_codes)
        if self.n_st == self.psk_order and self.n_codes == 1 and self.psk_order in (2, 4):
            return theory.ber_coherent_psk(g, n_rx=self.n_rx, channel=self.channel)
        return union_bound(self, g)


def dsss(
    psk_order: int = 2,
    *,
    code_length: int = 16,
    family: str = "walsh",
    n_rx: int = 1,
    channel: str = "awgn",
) -> IndexModulation:
    """Direct-sequence spread spectrum: one code, M-PSK data, coherent MRC detection."""
    return IndexModulation("sm", 1, n_rx, 1, code_length, family, psk_order, channel, "ml")


def ncfsk(order: int = 2, *, n_rx: int = 1, channel: str = "awgn") -> IndexModulation:
    """Non-coherent orthogonal M-FSK: DFT tones, energy detection summed over antennas."""
    power_of_two(order, "fsk_order", minimum=2)
    return IndexModulation("sm", 1, n_rx, order, order, "fsk", 1, channel, "noncoherent")
