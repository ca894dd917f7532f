"""Link energy per bit against distance, and the crossover distance between two radios.

E_b(d) = E_circuit + (ξ/η) · γ_req · N0 · M_l · PL(d) / (G_t G_r)        [J/bit]

* N0 = k T0 · NF (thermal noise density at the 290 K reference times the noise figure),
  via :func:`wattlab.physics.thermal_noise_floor_w`;
* γ_req: the Eb/N0 a scheme needs for the target BER in AWGN, by numeric inversion of its exact
  BER (fading is covered by the link margin M_l, as in Cui et al. 2005);
* PL(d) = (4π d f / c)² for d < d0 and (4π d0 f / c)² (d/d0)^κ beyond (simplified path-loss model);
* ξ: peak-to-average power ratio (PA back-off), η: PA drain efficiency;
* E_circuit = (Σ transmitter + Σ receiver block powers) / R_b + converter energy
  E_conv(ENOB, f_s) · (samples per bit) from :func:`wattlab.physics.adc_energy_j` (survey
  frontier; the DAC is costed like the ADC, an assumption), so oversampling costs energy.

Both radios' circuit energies are independent of d and f, so where PL(d*) falls beyond d0
the crossover distance is d* = d0 · [ΔE_circuit / (ΔP · (4π d0 f/c)²)]^(1/κ) ∝ f^(−2/κ).
Block lists per scheme (which circuits each architecture powers) are stated assumptions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from wattlab.cost import Cost
from wattlab.params import Registry, default_registry
from wattlab.physics import adc_energy_j, thermal_noise_floor_w
from wattlab.systems.radio import theory
from wattlab.systems.radio._checks import choice, positive, positive_array, probability
from wattlab.systems.radio.noisemod import NoiseMod

SCHEMES = ("bpsk", "qpsk", "dsss", "ncfsk", "noisemod")
_COHERENT_TX = ("radio.p_mixer", "radio.p_filter_tx", "radio.p_synthesizer")
_COHERENT_RX = (
    "radio.p_lna",
    "radio.p_mixer",
    "radio.p_ifa",
    "radio.p_filter_rx",
    "radio.p_synthesizer",
)
#: Registry keys of the converter model (:func:`wattlab.physics.adc_energy_j`, frontier FOM).
_CONVERTER = (
    "radio.converter_enob",
    "adc.walden_fom",
    "adc.schreier_fom_max",
    "adc.schreier_fom_intercept",
    "adc.schreier_fom_slope",
)


def db(x: float) -> float:
    """Decibels to a linear power ratio."""
    return 10.0 ** (x / 10)


@dataclass(frozen=True)
class Radio:
    """A scheme's energy-relevant architecture: BER curve, circuit blocks, converters, PAPR."""

    name: str
    ber: Callable[[float], float]  # linear Eb/N0 → BER in AWGN
    tx_blocks: tuple[str, ...]
    rx_blocks: tuple[str, ...]
    dac_samples_per_bit: float  # 0 when the transmitter has no DAC
    adc_samples_per_bit: float
    constant_envelope: bool

    def papr(self, params: Registry) -> float:
        if self.constant_envelope:
            return 1.0
        return math.log(1 / params.value("radio.gaussian_clip_probability"))

    def required_ebn0_db(self, target_ber: float) -> float:
        return _required(self, target_ber)


@lru_cache(maxsize=256)
def _required(radio: Radio, target_ber: float) -> float:
    return theory.required_ebn0_db(lambda x: radio.ber(db(x)), target_ber)


@lru_cache(maxsize=64)
def radio(
    scheme: str, *, samples_per_bit: int = 16, variance_ratio: float = 1 / 9, code_length: int = 16
) -> Radio:
    """The architecture of a named scheme (``SCHEMES``).

    Assumptions: PSK/DSSS/NC-FSK use a synthesizer-based (coherent front-end) transceiver with a
    DAC and ADC; DSSS converts at the chip rate (``code_length`` samples per bit); NC-FSK samples
    two tone bins per bit. NoiseMod (``samples_per_bit`` N, σ0²/σ1² = ``variance_ratio``) has an
    oscillator-free transmitter (noise source + filter, no DAC) and an energy-detector receiver
    (LNA, filter, detector) whose ADC runs at N samples per bit; its Gaussian waveform needs
    PA back-off ξ = ln(1/p_clip).
    """
    choice(scheme, SCHEMES, "scheme")
    if scheme == "noisemod":
        nm = NoiseMod(samples_per_bit, variance_ratio)
        return Radio(
            nm.name,
            lambda g: float(nm.ber_theory(g)),
            ("radio.noise_source_power", "radio.p_filter_tx"),
            ("radio.p_lna", "radio.p_filter_rx", "radio.energy_detector_power"),
            0.0,
            float(samples_per_bit),
            False,
        )
    if scheme == "ncfsk":
        ber: Callable[[float], float] = lambda g: 0.5 * math.exp(-g / 2)  # noqa: E731
        return Radio("binary NC-FSK", ber, _COHERENT_TX, _COHERENT_RX, 2.0, 2.0, True)
    ber = lambda g: float(theory.ber_coherent_psk(g))  # noqa: E731
    per_bit = {"bpsk": 1.0, "qpsk": 0.5, "dsss": float(code_length)}[scheme]
    label = {"bpsk": "BPSK", "qpsk": "QPSK", "dsss": f"DSSS-BPSK (L={code_length})"}[scheme]
    return Radio(label, ber, _COHERENT_TX, _COHERENT_RX, per_bit, per_bit, True)


@dataclass(frozen=True)
class LinkBudget:
    """Carrier, path-loss model, noise density and PA efficiency of one link (SI units)."""

    carrier_hz: float
    path_loss_exponent: float
    reference_distance_m: float
    bit_rate: float
    noise_psd: float  # W/Hz, k T NF
    margin: float  # linear
    antenna_gain: float  # linear, G_t G_r
    pa_efficiency: float
    speed_of_light: float

    @classmethod
    def from_params(
        cls,
        params: Registry | None = None,
        *,
        carrier_hz: float | None = None,
        path_loss_exponent: float | None = None,
        bit_rate: float | None = None,
    ) -> LinkBudget:
        p = params if params is not None else default_registry()
        return cls(
            positive(
                carrier_hz if carrier_hz is not None else p.value("radio.carrier_frequency"),
                "carrier_hz",
            ),
            positive(
                path_loss_exponent if path_loss_exponent is not None else p.value("radio.path_loss_exponent"),
                "path_loss_exponent",
            ),
            p.value("radio.reference_distance"),
            positive(bit_rate if bit_rate is not None else p.value("radio.bit_rate"), "bit_rate"),
            float(thermal_noise_floor_w(p, 1.0)) * db(p.value("radio.noise_figure")),
            db(p.value("radio.link_margin")),
            db(p.value("radio.antenna_gain")),
            p.value("radio.pa_drain_efficiency"),
            p.value("phys.speed_of_light"),
        )

    def reference_loss(self) -> float:
        """Free-space loss at d0: (4π d0 f / c)²."""
        return (4 * math.pi * self.reference_distance_m * self.carrier_hz / self.speed_of_light) ** 2

    def path_loss(self, distance_m: np.ndarray | float) -> np.ndarray:
        """Linear path loss (≥ 0 dB beyond a wavelength): free space below d0, exponent κ beyond."""
        d = positive_array(distance_m, "distance_m")
        d0 = self.reference_distance_m
        free = (4 * math.pi * d * self.carrier_hz / self.speed_of_light) ** 2
        far = self.reference_loss() * (d / d0) ** self.path_loss_exponent
        return np.where(d < d0, free, far).reshape(np.shape(distance_m))

    def distance_at_loss(self, loss: float) -> float:
        """The inverse of :meth:`path_loss`."""
        d0, ref = self.reference_distance_m, self.reference_loss()
        if loss >= ref:
            return d0 * (loss / ref) ** (1 / self.path_loss_exponent)
        return math.sqrt(loss) * self.speed_of_light / (4 * math.pi * self.carrier_hz)

    def noise_floor_w(self, bandwidth_hz: float) -> float:
        """Receiver noise power k T B · NF (W)."""
        return self.noise_psd * positive(bandwidth_hz, "bandwidth_hz")


def _components(
    r: Radio, link: LinkBudget, params: Registry, target_ber: float
) -> tuple[dict[str, float], float]:
    """Distance-independent energies per bit (J) and the PA energy per unit path loss (J)."""
    enob = params.value("radio.converter_enob")

    def converter(samples_per_bit: float) -> float:
        if samples_per_bit == 0:
            return 0.0
        fs = samples_per_bit * link.bit_rate
        return float(adc_energy_j(params, enob, fs)) * samples_per_bit

    circuit = {
        "tx_circuit": sum(params.values(*r.tx_blocks)) / link.bit_rate,
        "rx_circuit": sum(params.values(*r.rx_blocks)) / link.bit_rate,
        "dac": converter(r.dac_samples_per_bit),
        "adc": converter(r.adc_samples_per_bit),
    }
    gamma_db = r.required_ebn0_db(probability(target_ber, "target_ber"))
    return circuit, pa_energy_per_loss(gamma_db, link, r.papr(params))


def pa_energy_per_loss(ebn0_db: float, link: LinkBudget, papr: float = 1.0) -> float:
    """PA supply energy per bit per unit path loss (J) to deliver ``ebn0_db`` at the receiver:
    (ξ/η) · γ · N0 · M_l / (G_t G_r). Multiply by ``link.path_loss(d)`` for a distance."""
    return papr / link.pa_efficiency * db(ebn0_db) * link.noise_psd * link.margin / link.antenna_gain


def energy_curve(
    scheme: str,
    distance_m: np.ndarray | float,
    *,
    params: Registry | None = None,
    target_ber: float = 1e-3,
    link: LinkBudget | None = None,
    **options: int | float,
) -> dict[str, np.ndarray]:
    """Energy per bit (J) by component at each distance: ``pa``, circuits, converters, ``total``."""
    p = params if params is not None else default_registry()
    lb = link if link is not None else LinkBudget.from_params(p)
    r = radio(scheme, **options)
    circuit, per_loss = _components(r, lb, p, target_ber)
    pa = per_loss * lb.path_loss(distance_m)
    out = {k: np.full_like(pa, v) for k, v in circuit.items()}
    out["pa"] = pa
    out["total"] = pa + sum(circuit.values())
    return out


def energy_per_bit(
    scheme: str,
    distance_m: float,
    *,
    params: Registry | None = None,
    target_ber: float = 1e-3,
    carrier_hz: float | None = None,
    path_loss_exponent: float | None = None,
    bit_rate: float | None = None,
    **options: int | float,
) -> Cost:
    """Energy to move one bit over ``distance_m`` metres with ``scheme`` at ``target_ber``.

    Returns a :class:`~wattlab.cost.Cost` for one bit: ``energy_j`` by component (``pa``,
    ``tx_circuit``, ``rx_circuit``, ``dac``, ``adc``), ``latency_s`` = 1/R_b, ``counts['bits']``
    = 1 and the parameters used as ``sources``; multiply by a bit count (``cost * n``) for a
    message. ``options`` go to :func:`radio` (e.g. ``samples_per_bit`` for NoiseMod).
    """
    p = params if params is not None else default_registry()
    lb = LinkBudget.from_params(
        p, carrier_hz=carrier_hz, path_loss_exponent=path_loss_exponent, bit_rate=bit_rate
    )
    d = positive(distance_m, "distance_m")
    curve = energy_curve(scheme, d, params=p, target_ber=target_ber, link=lb, **options)
    r = radio(scheme, **options)
    keys = (
        *r.tx_blocks,
        *r.rx_blocks,
        *_CONVERTER,
        "phys.boltzmann",
        "phys.noise_reference_temperature",
        "radio.noise_figure",
        "radio.link_margin",
        "radio.antenna_gain",
        "radio.pa_drain_efficiency",
        "radio.reference_distance",
        "phys.speed_of_light",
    )
    if not r.constant_envelope:
        keys += ("radio.gaussian_clip_probability",)
    return Cost(
        energy_j={k: float(v) for k, v in curve.items() if k != "total"},
        latency_s=1 / lb.bit_rate,
        counts={"bits": 1.0},
        boundary=frozenset({"pa", "tx_circuit", "rx_circuit", "dac", "adc"}),
        sources=p.subset(*dict.fromkeys(keys)),
    )


def crossover_distance(
    low_power: str = "noisemod",
    coherent: str = "bpsk",
    *,
    params: Registry | None = None,
    target_ber: float = 1e-3,
    link: LinkBudget | None = None,
    **options: int | float,
) -> float | None:
    """Distance (m) where the two radios spend equal energy per bit; None when one of them is
    cheaper at every distance. ``options`` apply to ``low_power`` (e.g. NoiseMod's N)."""
    p = params if params is not None else default_registry()
    lb = link if link is not None else LinkBudget.from_params(p)
    ca, ka = _components(radio(low_power, **options), lb, p, target_ber)
    cb, kb = _components(radio(coherent), lb, p, target_ber)
    d_circ, d_pa = sum(cb.values()) - sum(ca.values()), ka - kb
    if d_circ * d_pa <= 0:
        return None
    return lb.distance_at_loss(d_circ / d_pa)
