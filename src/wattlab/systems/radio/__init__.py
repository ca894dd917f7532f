"""IoT radio links: Monte-Carlo BER, index modulation, noise modulation, energy per bit.

Public API::

    simulate(scheme, ebn0_db, rng, target_errors=..., max_bits=...)  -> [BerPoint]
    Psk(order, n_rx, channel)                         BPSK / QPSK with MRC
    dsss(...), ncfsk(...), IndexModulation(...)       code-domain and index-modulation schemes
    NoiseMod(samples_per_bit, variance_ratio, ...)    variance keying with an energy detector
    energy_per_bit(scheme, distance_m, ...) -> Cost   J/bit by component (PA, circuits, converters)
    crossover_distance(low_power, coherent, ...)      d* where two radios cost the same per bit
"""

from wattlab.systems.radio.baselines import Psk
from wattlab.systems.radio.codes import codebook
from wattlab.systems.radio.index_mod import IndexModulation, dsss, ncfsk
from wattlab.systems.radio.link import (
    SCHEMES,
    LinkBudget,
    crossover_distance,
    energy_curve,
    energy_per_bit,
    radio,
)
from wattlab.systems.radio.montecarlo import BerPoint, simulate, simulate_point
from wattlab.systems.radio.noisemod import NoiseMod
from wattlab.systems.radio.union_bound import union_bound

__all__ = [
    "SCHEMES",
    "BerPoint",
    "IndexModulation",
    "LinkBudget",
    "NoiseMod",
    "Psk",
    "codebook",
    "crossover_distance",
    "dsss",
    "energy_curve",
    "energy_per_bit",
    "ncfsk",
    "radio",
    "simulate",
    "simulate_point",
    "union_bound",
]
