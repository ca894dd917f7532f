"""Synthetic railway axle-box vibration for predictive maintenance, split across wayside nodes.

The railway testbed data of arXiv 2604.19377 is not public, so this generator stands in for it.
Every modelling choice below is an assumption, not a measurement:

* **Signal.** An accelerometer on the axle box samples at ``fl.rail.sample_rate`` with
  ``fl.rail.adc_bits`` per sample. A healthy window holds shaft-order harmonics (wheel rotation
  ``f_r = v / (π·D)``, ``D`` = ``fl.rail.wheel_diameter``), white sensor noise and, now and
  then, a rail-joint impact.
* **Faults** (Randall & Antoni 2011): every impact rings the axle-box resonance
  (``fl.rail.resonance``, damped sinusoid). An outer-race defect repeats at
  ``BPFO = n/2·f_r·(1 − r)``, an inner-race defect at ``BPFI = n/2·f_r·(1 + r)`` with
  once-per-revolution amplitude modulation, a wheel flat once per revolution with a strong
  impact (``n`` = ``fl.rail.bearing_rollers``, ``r`` = ``fl.rail.bearing_ratio``). Impact
  severity is log-normal, so some faults are buried in noise: that sets the attainable accuracy.
* **Class imbalance.** Healthy windows dominate (``RailSpec.prior``).
* **Non-IID nodes.** Each node draws its own label mix (Dirichlet around the prior), mean train
  speed, sensor gain, noise level and a shifted resonance (mounting differences), so the
  feature distribution drifts from node to node.
* **Features** (what an edge node computes from a raw window): log band energies of the power
  spectrum, the envelope spectrum (demodulated around the nominal resonance) at the fault
  orders, log RMS, kurtosis, crest factor and the train speed (from a tachometer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattlab.errors import SpecError
from wattlab.params import Registry

CLASSES = ("healthy", "outer_race", "inner_race", "wheel_flat")
N_BANDS = 16
N_FEATURES = N_BANDS + 6 + 3 + 1
_CHUNK = 256  # windows synthesised at once (bounds memory)
_DECIMATE = 8  # envelope decimation factor


@dataclass(frozen=True)
class RailSpec:
    """Fleet and generator settings (dimensionless knobs of the synthetic data, all assumed)."""

    n_clients: int = 10
    samples_per_client: int = 300
    window: int = 4096
    prior: tuple[float, ...] = (0.7, 0.1, 0.1, 0.1)
    dirichlet_alpha: float = 20.0
    speed_range_mps: tuple[float, float] = (15.0, 45.0)
    speed_spread: float = 0.15
    gain_sigma: float = 0.25
    noise_sigma: float = 0.3
    resonance_shift: float = 0.08
    severity_median: float = 0.7
    severity_sigma: float = 0.7
    flat_gain: float = 3.0
    joint_probability: float = 0.3
    damping: float = 0.04
    test_fraction: float = 0.25

    def __post_init__(self) -> None:
        _positive_int("n_clients", self.n_clients)
        _positive_int("samples_per_client", self.samples_per_client)
        if self.window < 64 or self.window & (self.window - 1):
            raise SpecError(f"RailSpec field 'window' is {self.window}; use a power of two >= 64")
        p = np.asarray(self.prior, dtype=float)
        if p.shape != (len(CLASSES),) or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
            raise SpecError(f"RailSpec field 'prior' is {self.prior}; give {len(CLASSES)} "
                            f"non-negative class probabilities {CLASSES} summing to 1")
        lo, hi = self.speed_range_mps
        if not 0 < lo <= hi:
            raise SpecError(f"RailSpec field 'speed_range_mps' is {self.speed_range_mps}; "
                            "use (low, high) with 0 < low <= high, in m/s")
        if not 0 < self.test_fraction < 1:
            raise SpecError(f"RailSpec field 'test_fraction' is {self.test_fraction}; use (0, 1)")
        for name in ("dirichlet_alpha", "severity_median"):
            if not getattr(self, name) > 0:
                raise SpecError(f"RailSpec field '{name}' is {getattr(self, name)}; must be > 0")


def _positive_int(name: str, v: int) -> None:
    if int(v) != v or v < 1:
        raise SpecError(f"field '{name}' is {v!r}; it must be a whole number >= 1")


@dataclass(frozen=True)
class FleetData:
    """Per-node training sets and a pooled test set (features, labels)."""

    x_train: tuple[np.ndarray, ...]
    y_train: tuple[np.ndarray, ...]
    x_test: np.ndarray
    y_test: np.ndarray
    raw_bits_per_sample: float
    feature_flops_per_sample: float

    @property
    def n_clients(self) -> int:
        return len(self.x_train)

    @property
    def n_features(self) -> int:
        return int(self.x_test.shape[1])

    def pooled(self) -> tuple[np.ndarray, np.ndarray]:
        """All nodes' training data in one set (what centralised training uploads)."""
        return np.concatenate(self.x_train), np.concatenate(self.y_train)


def feature_flops(window: int) -> float:
    """Approximate FLOPs to turn one raw window into features: a real FFT (2.5·N·log2 N),
    the decimated complex inverse FFT and real FFT of the envelope (7.5·M·log2 M, M = N/8)
    and about 12 element-wise operations per sample (power, bands, moments)."""
    m = window // _DECIMATE
    return 2.5 * window * np.log2(window) + 7.5 * m * np.log2(m) + 12.0 * window


@dataclass(frozen=True)
class _Physics:
    fs: float
    wheel_d: float
    rollers: float
    ratio: float
    resonance: float

    @classmethod
    def from_params(cls, params: Registry) -> _Physics:
        return cls(*params.values("fl.rail.sample_rate", "fl.rail.wheel_diameter",
                                  "fl.rail.bearing_rollers", "fl.rail.bearing_ratio",
                                  "fl.rail.resonance"))

    def orders(self) -> np.ndarray:
        """Fault frequencies per unit shaft frequency: [healthy, BPFO, BPFI, flat]."""
        half = self.rollers / 2.0
        return np.array([0.0, half * (1 - self.ratio), half * (1 + self.ratio), 1.0])


def _synthesise(labels: np.ndarray, speed: np.ndarray, node: dict[str, float], spec: RailSpec,
                phy: _Physics, rng: np.random.Generator) -> np.ndarray:
    """Raw windows (rows) for the given labels and speeds at one node."""
    w, n = labels.size, spec.window
    t = np.arange(n) / phy.fs
    f_r = speed / (np.pi * phy.wheel_d)
    # shaft-order harmonics + sensor noise
    rot = np.exp(2j * np.pi * f_r[:, None] * t)
    x = rng.normal(0.0, node["noise"], (w, n))
    harmonic = np.ones_like(rot)
    for k in range(1, 4):
        harmonic *= rot
        amp = rng.lognormal(np.log(0.2), 0.3, w) / k * np.exp(1j * rng.uniform(0, 2 * np.pi, w))
        x += (amp[:, None] * harmonic).imag
    # impact trains: fault impacts, plus an occasional rail-joint impact in any window
    f_imp = f_r * phy.orders()[labels]
    severity = spec.severity_median * rng.lognormal(0.0, spec.severity_sigma, w)
    severity *= np.where(labels == 3, spec.flat_gain, 1.0)
    n_max = int(np.ceil(t[-1] * max(f_imp.max(), 1e-9))) + 1
    j = np.arange(n_max)
    start = rng.uniform(0, 1, w) / np.where(f_imp > 0, f_imp, 1.0)
    times = start[:, None] + j[None, :] / np.where(f_imp > 0, f_imp, np.inf)[:, None]
    times += rng.normal(0, 0.01, times.shape) / np.where(f_imp > 0, f_imp, 1.0)[:, None]
    amps = np.broadcast_to(severity[:, None], times.shape).copy()
    inner = labels == 2
    amps[inner] *= 0.5 * (1 + np.cos(2 * np.pi * f_r[inner, None] * times[inner]))
    amps[(f_imp == 0)[:, None] | (times >= t[-1]) | (times < 0)] = 0.0
    idx = np.clip(np.round(times * phy.fs).astype(int), 0, n - 1)
    pulses = np.zeros((w, n))
    np.add.at(pulses, (np.repeat(np.arange(w), n_max), idx.ravel()), amps.ravel())
    joint = rng.random(w) < spec.joint_probability
    pulses[joint, rng.integers(0, n, joint.sum())] += spec.flat_gain * spec.severity_median
    f_n = phy.resonance * node["shift"]
    ring = np.exp(-spec.damping * 2 * np.pi * f_n * t) * np.sin(2 * np.pi * f_n * t)
    x += np.fft.irfft(np.fft.rfft(pulses, axis=1) * np.fft.rfft(ring), n=n, axis=1)
    return x * node["gain"]


def extract_features(x: np.ndarray, speed: np.ndarray, phy: _Physics) -> np.ndarray:
    """Features of raw windows (rows): band energies, envelope orders, moments, speed."""
    w, n = x.shape
    spec = np.fft.rfft(x, axis=1)
    power = (spec.real**2 + spec.imag**2) / n
    bands = np.array_split(power[:, 1:], N_BANDS, axis=1)
    feats = [np.log10(np.stack([b.mean(axis=1) for b in bands], axis=1) + 1e-12)]
    # envelope by complex demodulation: shift the band around the resonance to baseband and
    # decimate by _DECIMATE (the fault orders lie far below the decimated Nyquist rate)
    m = n // _DECIMATE
    k_lo = round(0.75 * phy.resonance * n / phy.fs)
    k_hi = round(1.25 * phy.resonance * n / phy.fs)
    base = np.zeros((w, m), dtype=complex)
    k_hi = min(k_hi, k_lo + m)
    base[:, : k_hi - k_lo] = spec[:, k_lo:k_hi]
    env = np.abs(np.fft.ifft(base, axis=1))
    env_spec = np.abs(np.fft.rfft(env - env.mean(axis=1, keepdims=True), axis=1))
    level = env_spec[:, 1:].mean(axis=1) + 1e-12
    f_r = speed / (np.pi * phy.wheel_d)
    orders = np.array([1.0, 2.0, *(phy.orders()[1:3]), *(2 * phy.orders()[1:3])])
    bins = np.rint(f_r[:, None] * orders[None, :] * n / phy.fs).astype(int)
    near = np.stack([np.clip(bins + d, 1, env_spec.shape[1] - 1) for d in (-1, 0, 1)], axis=-1)
    peak = np.take_along_axis(env_spec, near.reshape(w, -1), axis=1).reshape(near.shape).max(-1)
    feats.append(np.log10(peak / level[:, None]))
    rms = np.sqrt(np.mean(x**2, axis=1))
    c2 = (x - x.mean(axis=1, keepdims=True)) ** 2
    kurt = np.mean(c2 * c2, axis=1) / np.mean(c2, axis=1) ** 2
    crest = np.abs(x).max(axis=1) / rms
    feats.append(np.stack([np.log10(rms), np.log10(kurt), np.log10(crest), speed], axis=1))
    return np.concatenate(feats, axis=1)


def _node(spec: RailSpec, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, float]]:
    prior = rng.dirichlet(spec.dirichlet_alpha * np.asarray(spec.prior) + 1e-3)
    node = {"speed": rng.uniform(*spec.speed_range_mps),
            "gain": rng.lognormal(0.0, spec.gain_sigma),
            "noise": spec.noise_sigma * rng.lognormal(0.0, spec.gain_sigma),
            "shift": 1.0 + rng.uniform(-spec.resonance_shift, spec.resonance_shift)}
    return prior, node


def generate_fleet(spec: RailSpec, params: Registry, rng: np.random.Generator) -> FleetData:
    """Generate every node's windows, extract features, split train/test (test sets pooled)."""
    phy = _Physics.from_params(params)
    xs_train, ys_train, xs_test, ys_test = [], [], [], []
    n_test = max(1, round(spec.test_fraction * spec.samples_per_client))
    total = spec.samples_per_client + n_test
    for _ in range(spec.n_clients):
        prior, node = _node(spec, rng)
        labels = rng.choice(len(CLASSES), size=total, p=prior)
        speed = node["speed"] * np.clip(rng.normal(1.0, spec.speed_spread, total), 0.3, None)
        feats = np.concatenate([
            extract_features(_synthesise(labels[s], speed[s], node, spec, phy, rng), speed[s], phy)
            for s in (slice(i, i + _CHUNK) for i in range(0, total, _CHUNK))])
        xs_train.append(feats[: spec.samples_per_client])
        ys_train.append(labels[: spec.samples_per_client])
        xs_test.append(feats[spec.samples_per_client:])
        ys_test.append(labels[spec.samples_per_client:])
    bits = spec.window * params.value("fl.rail.adc_bits")
    return FleetData(tuple(xs_train), tuple(ys_train), np.concatenate(xs_test),
                     np.concatenate(ys_test), bits, feature_flops(spec.window))
