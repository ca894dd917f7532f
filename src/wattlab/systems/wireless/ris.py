"""Aerial multi-functional RIS serving a fluid-antenna full-duplex BS (arXiv 2604.14309, minimal).

A full-duplex BS with ``n_antennas`` fluid antennas (each sits on one of ``n_ports`` ports of a
linear track W wavelengths long; shared transmit/receive ports through a circulator) serves
``n_dl`` downlink users and receives ``n_ul`` uplink users, helped by an RIS of ``n_elements``
elements carried by an AAV that hovers at one of ``n_positions`` candidate points. Everything is
batched: each array has a leading batch axis, and one call evaluates a whole batch of
(channel, configuration) pairs.

Model (each modelling choice below is a stated assumption of this reconstruction; the paper's
body was not available):

* geometry: BS at the origin (height ``wireless.umi.bs_height``), users uniform in an annulus,
  AAV points on a circle of radius ``wireless.ris.aav_radius`` at height ``wireless.ris.aav_height``;
* the BS–RIS link is pure LoS (both ends elevated; ``RisConfig.los_backhaul=False`` makes it
  Rician too); RIS–user links are Rician (K = ``wireless.ris.rician_k``); far-field LoS steering
  vectors (BS ports along x, RIS a half-wavelength ULA along y) and path-loss exponent
  ``wireless.ris.air_path_loss_exponent``; ground links (BS–users, UL–DL users) are Rayleigh with
  ``radio.path_loss_exponent`` and an extra ``wireless.ris.direct_blockage`` loss; path loss is
  :meth:`wattlab.systems.radio.LinkBudget.path_loss`;
* fluid-antenna ports: the scattered (NLoS) part is correlated across ports with the Jakes
  kernel J0(2π Δ/λ) (Wong et al. 2021); a rigid array uses the first ``n_antennas`` ports;
* RIS: element n reflects with coefficient φ_n = sqrt(1 − ρ) a_n e^{jθ_n}, 0 ≤ a_n ≤ a_max
  (multi-functional, active) or a_n = 1, ρ = 0 (conventional passive RIS); active elements add
  amplifier noise k T B NF_RIS which is amplified with the signal; a fraction ρ ≤ ρ_max of the
  incident power is harvested with efficiency η_EH;
* downlink: zero-forcing directions on the effective channel (maximum-ratio when n_dl > M), with
  per-user powers p_k (Σ p_k ≤ P_BS,max); SINR includes uplink-to-downlink co-channel interference
  (direct and via the RIS) and amplified RIS noise;
* uplink: linear-MMSE combining, SINR_j = q_j/(1 − q_j),
  q_j = p_j f_jᴴ (R + Σ_i p_i f_i f_iᴴ)⁻¹ f_j, with R = (σ² + β_SI P_BS) I +
  amplified RIS noise (residual self-interference ∝ β_SI · P_BS; the BS→RIS→BS echo of its own
  signal is assumed cancelled with the direct self-interference);
* quality of service: every user needs at least ``wireless.ris.min_rate`` (EE papers constrain
  per-user rates; without a floor EE maximisation simply switches weak users off); the objective
  (``Metrics.score``, also the RL reward) is EE where every floor is met and minus the summed
  relative shortfall elsewhere, so any feasible configuration beats any infeasible one;
* energy efficiency EE = B (Σ_k log2(1 + SINR_k) + R_UL) / P_total with
  P_total = (P_BS + Σ p_j)/η_PA + P_circuit + N P_sw + [N P_DC + Σ_n (a_n² − 1)⁺ (1 − ρ) P_in,n
  / η_amp] − η_EH ρ Σ_n P_in,n, the issue's sum-rate / (P_BS + ΣP_UL + P_RIS,static + N·P_amp −
  P_EH) with the PA efficiency and the transceiver circuits of ``radio.*`` made explicit;
* half-duplex: downlink and uplink take half the time each (no self-interference, no UL→DL
  interference); EE = (R_DL-phase + R_UL-phase) / (P_DL-phase + P_UL-phase).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from wattlab.errors import SpecError
from wattlab.hardware import spec
from wattlab.params import Registry, default_registry
from wattlab.physics import thermal_noise_floor_w
from wattlab.systems.wireless._common import db, jakes_correlation, link, positive_int, sqrtm_psd

RisKind = Literal["multi-functional", "conventional"]
TX_CHAIN = ("radio.p_mixer", "radio.p_filter_tx", "radio.p_synthesizer")
RX_CHAIN = ("radio.p_lna", "radio.p_mixer", "radio.p_ifa", "radio.p_filter_rx", "radio.p_synthesizer")
_KEYS = (
    "wireless.ris.carrier_frequency",
    "wireless.ris.bandwidth",
    "wireless.umi.bs_height",
    "wireless.ris.aav_height",
    "wireless.ris.cell_radius",
    "wireless.ris.min_distance",
    "wireless.ris.aav_radius",
    "wireless.ris.air_path_loss_exponent",
    "wireless.ris.direct_blockage",
    "wireless.ris.rician_k",
    "wireless.ris.p_bs_max",
    "wireless.ris.p_ul_max",
    "wireless.ris.si_suppression",
    "wireless.ris.a_max",
    "wireless.ris.eh_efficiency",
    "wireless.ris.eh_split_max",
    "wireless.ris.port_track_length",
    "wireless.ris.min_rate",
)


@dataclass(frozen=True)
class RisConfig:
    """Sizes and architecture switches of one aerial-RIS network (physics from the registry)."""

    n_elements: int = 8
    n_antennas: int = 2
    n_ports: int = 8
    n_dl: int = 2
    n_ul: int = 2
    n_positions: int = 4
    full_duplex: bool = True
    fluid: bool = True
    ris: RisKind = "multi-functional"
    #: BS–AAV link purely LoS (both ends elevated; a common aerial-RIS assumption). False: Rician.
    los_backhaul: bool = True

    def __post_init__(self) -> None:
        for f in ("n_elements", "n_antennas", "n_ports", "n_dl", "n_ul", "n_positions"):
            positive_int(getattr(self, f), f)
        if self.n_ports < self.n_antennas:
            raise SpecError(
                f"n_ports: {self.n_ports} ports cannot hold n_antennas={self.n_antennas} fluid "
                "antennas; give n_ports >= n_antennas"
            )
        if self.ris not in ("multi-functional", "conventional"):
            raise SpecError(f"ris: {self.ris!r} is not 'multi-functional' or 'conventional'")

    def variant(self, name: str) -> RisConfig:
        """The proposed set-up or one of its baselines: ``proposed``, ``half-duplex``,
        ``rigid-array``, ``conventional-ris``."""
        table = {
            "proposed": {},
            "half-duplex": {"full_duplex": False},
            "rigid-array": {"fluid": False},
            "conventional-ris": {"ris": "conventional"},
        }
        if name not in table:
            raise SpecError(f"variant: {name!r} is not one of {', '.join(table)}")
        return replace(self, **table[name])  # type: ignore[arg-type]

    @property
    def port_combos(self) -> np.ndarray:
        """All choices of ``n_antennas`` distinct ports (rows, sorted), or the rigid array only."""
        if not self.fluid:
            return np.arange(self.n_antennas)[None, :]
        return np.array(list(itertools.combinations(range(self.n_ports), self.n_antennas)))

    @property
    def n_discrete(self) -> int:
        return len(self.port_combos) * self.n_positions

    @property
    def n_continuous(self) -> int:
        return 2 * self.n_elements + 1 + self.n_dl + self.n_ul


VARIANTS = ("proposed", "half-duplex", "rigid-array", "conventional-ris")


@dataclass(frozen=True)
class RisPhysics:
    """Registry values used by the model, in SI (read once)."""

    wavelength: float
    bandwidth: float
    noise: float  # receiver noise power (W)
    ris_noise: float  # amplifier noise power per active element (W)
    rician_k: float
    p_bs_max: float
    p_ul_max: float
    beta_si: float
    a_max: float
    p_sw: float
    p_dc: float
    eta_amp: float
    eta_eh: float
    rho_max: float
    eta_pa: float
    p_tx_chain: float
    p_rx_chain: float
    track: float  # wavelengths
    min_rate: float  # per-user QoS floor (bit/s)
    geometry: dict[str, float] = field(default_factory=dict)
    air: object = None
    ground: object = None
    blockage: float = 1.0

    @classmethod
    def from_params(cls, params: Registry | None = None) -> RisPhysics:
        p = params if params is not None else default_registry()
        v = dict(zip(_KEYS, p.values(*_KEYS), strict=True))
        fc = v["wireless.ris.carrier_frequency"]
        bw = v["wireless.ris.bandwidth"]
        air = link(p, fc, v["wireless.ris.air_path_loss_exponent"])
        ground = link(p, fc, p.value("radio.path_loss_exponent"))
        kTB = float(thermal_noise_floor_w(p, bw))
        ris_dev = spec(p, "active_ris")  # catalogue: dev.active_ris.*
        geometry = {
            k.split(".")[-1]: v[k]
            for k in (
                "wireless.umi.bs_height",
                "wireless.ris.aav_height",
                "wireless.ris.cell_radius",
                "wireless.ris.min_distance",
                "wireless.ris.aav_radius",
            )
        }
        if geometry["min_distance"] >= geometry["cell_radius"]:
            raise SpecError(
                f"wireless.ris.min_distance: {geometry['min_distance']:g} m is not below "
                f"wireless.ris.cell_radius {geometry['cell_radius']:g} m; users cannot be dropped"
            )
        for key in ("wireless.ris.p_bs_max", "wireless.ris.p_ul_max"):
            if v[key] <= 0:
                raise SpecError(f"{key}: the power budget must be > 0 W, got {v[key]:g}")
        return cls(
            wavelength=p.value("phys.speed_of_light") / fc,
            bandwidth=bw,
            noise=air.noise_floor_w(bw),
            ris_noise=kTB * float(db(ris_dev.value("amp_noise_figure"))),
            rician_k=float(db(v["wireless.ris.rician_k"])),
            p_bs_max=v["wireless.ris.p_bs_max"],
            p_ul_max=v["wireless.ris.p_ul_max"],
            beta_si=float(db(v["wireless.ris.si_suppression"])),
            a_max=v["wireless.ris.a_max"],
            p_sw=ris_dev.value("switch_power"),
            p_dc=ris_dev.value("amp_bias_power"),
            eta_amp=ris_dev.value("amp_efficiency"),
            eta_eh=v["wireless.ris.eh_efficiency"],
            rho_max=v["wireless.ris.eh_split_max"],
            eta_pa=p.value("radio.pa_drain_efficiency"),
            p_tx_chain=sum(p.values(*TX_CHAIN)),
            p_rx_chain=sum(p.values(*RX_CHAIN)),
            track=v["wireless.ris.port_track_length"],
            min_rate=v["wireless.ris.min_rate"],
            geometry=geometry,
            air=air,
            ground=ground,
            blockage=float(db(v["wireless.ris.direct_blockage"])),
        )


#: Registry keys read by :meth:`RisPhysics.from_params` (for provenance and sensitivity).
PARAM_KEYS = tuple(
    dict.fromkeys(
        (
            *_KEYS,
            "radio.path_loss_exponent",
            "radio.pa_drain_efficiency",
            *TX_CHAIN,
            *RX_CHAIN,
            "radio.noise_figure",
            "radio.reference_distance",
            "phys.speed_of_light",
            "phys.boltzmann",
            "phys.noise_reference_temperature",
            "dev.active_ris.switch_power",
            "dev.active_ris.amp_bias_power",
            "dev.active_ris.amp_efficiency",
            "dev.active_ris.amp_noise_figure",
        )
    )
)


@dataclass
class Drop:
    """Fixed geometry of one deployment: user and AAV positions (m)."""

    dl: np.ndarray  # (n_dl, 3)
    ul: np.ndarray  # (n_ul, 3)
    aav: np.ndarray  # (Q, 3)
    ports: np.ndarray  # (P,) port x-positions in wavelengths

    @classmethod
    def random(cls, cfg: RisConfig, phy: RisPhysics, rng: np.random.Generator) -> Drop:
        g = phy.geometry

        def users(k: int) -> np.ndarray:
            r = np.sqrt(rng.uniform(g["min_distance"] ** 2, g["cell_radius"] ** 2, k))
            a = rng.uniform(0, 2 * math.pi, k)
            return np.stack([r * np.cos(a), r * np.sin(a), np.zeros(k)], axis=1)

        ang = 2 * math.pi * np.arange(cfg.n_positions) / cfg.n_positions
        aav = np.stack(
            [
                g["aav_radius"] * np.cos(ang),
                g["aav_radius"] * np.sin(ang),
                np.full(len(ang), g["aav_height"]),
            ],
            axis=1,
        )
        ports = np.linspace(0.0, phy.track, cfg.n_ports) if cfg.n_ports > 1 else np.zeros(1)
        return cls(users(cfg.n_dl), users(cfg.n_ul), aav, ports)


@dataclass
class Channels:
    """A batch of channel realisations of one drop (leading axis B).

    ``G`` (B,Q,N,P) BS ports→RIS; ``hd`` (B,Kd,P) BS ports→DL users; ``fu`` (B,Ku,P) UL users→BS
    ports; ``hr`` (B,Q,Kd,N) RIS→DL users; ``ur`` (B,Q,Ku,N) UL users→RIS; ``gud`` (B,Ku,Kd)
    UL users→DL users.
    """

    G: np.ndarray
    hd: np.ndarray
    fu: np.ndarray
    hr: np.ndarray
    ur: np.ndarray
    gud: np.ndarray

    @property
    def batch(self) -> int:
        return int(self.G.shape[0])


def _ula(n: int, cosine: np.ndarray) -> np.ndarray:
    """Half-wavelength ULA response exp(jπ n cosine) for each cosine (…,) → (…, n)."""
    return np.exp(1j * math.pi * np.arange(n) * np.asarray(cosine)[..., None])


class ChannelSampler:
    """Draws small-scale realisations of one drop's channels; the geometry-dependent parts (LoS
    responses, path losses, the port-correlation square root) are computed once here."""

    def __init__(self, cfg: RisConfig, phy: RisPhysics, drop: Drop, dtype: type = np.complex128) -> None:
        N = cfg.n_elements
        self.cfg, self.dtype = cfg, dtype
        k = phy.rician_k
        los_w, self.nlos_w = math.sqrt(k / (k + 1)), math.sqrt(1 / (k + 1))
        bs = np.array([0.0, 0.0, phy.geometry["bs_height"]])
        self.port_sqrt_t = sqrtm_psd(jakes_correlation(np.abs(drop.ports[:, None] - drop.ports[None, :]))).T

        def air_pl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return 1 / np.sqrt(phy.air.path_loss(np.linalg.norm(a - b, axis=-1)))  # type: ignore[attr-defined]

        def ground_pl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            d = np.linalg.norm(a - b, axis=-1)
            return 1 / np.sqrt(phy.ground.path_loss(d) * phy.blockage)  # type: ignore[attr-defined]

        # BS -> RIS at each AAV point: LoS = a_RIS(arrival) a_BS(departure)^T, Rician.
        dvec = drop.aav - bs
        u = dvec / np.linalg.norm(dvec, axis=1, keepdims=True)
        a_bs = np.exp(2j * math.pi * drop.ports[None, :] * u[:, 0:1])  # (Q,P)
        a_ris = _ula(N, -u[:, 1])  # (Q,N)
        self.g_pl = air_pl(drop.aav, bs)[:, None, None]  # (Q,1,1)
        self.g_los = self.g_pl * los_w * a_ris[:, :, None] * a_bs[:, None, :]  # (Q,N,P)

        def ris_user(users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            dv = users[None, :, :] - drop.aav[:, None, :]  # (Q,K,3)
            cos_y = dv[..., 1] / np.linalg.norm(dv, axis=-1)
            pl = air_pl(users[None, :, :], drop.aav[:, None, :])[:, :, None]  # (Q,K,1)
            return pl * los_w * _ula(N, cos_y), pl

        self.hr_los, self.hr_pl = ris_user(drop.dl)
        self.ur_los, self.ur_pl = ris_user(drop.ul)
        self.hd_pl = ground_pl(drop.dl, bs)[:, None]
        self.fu_pl = ground_pl(drop.ul, bs)[:, None]
        self.gud_pl = ground_pl(drop.ul[:, None, :], drop.dl[None, :, :])
        # pure-LoS backhaul: the full LoS power (no Rician split)
        self.g_los_full = self.g_los / los_w
        for f in ("port_sqrt_t", "g_los", "g_los_full", "hr_los", "ur_los"):
            setattr(self, f, getattr(self, f).astype(dtype))
        real = np.float32 if dtype == np.complex64 else np.float64
        for f in ("g_pl", "hr_pl", "ur_pl", "hd_pl", "fu_pl", "gud_pl"):
            setattr(
                self,
                f,
                (getattr(self, f) * (self.nlos_w if f in ("g_pl", "hr_pl", "ur_pl") else 1.0)).astype(real),
            )

    def draw(self, rng: np.random.Generator, batch: int) -> Channels:
        c, B = self.cfg, batch
        N, P, Q, Kd, Ku = c.n_elements, c.n_ports, c.n_positions, c.n_dl, c.n_ul
        n_g = 0 if c.los_backhaul else Q * N * P
        sizes = (n_g + Kd * P + Ku * P, Q * Kd * N, Q * Ku * N, Ku * Kd)
        # one draw of float32 normals for everything (the fastest NumPy generator path)
        real = np.float32 if self.dtype == np.complex64 else np.float64
        z = rng.standard_normal((B, sum(sizes), 2), dtype=np.float32).astype(real, copy=False)
        z = z.view(self.dtype)[..., 0] * real(math.sqrt(0.5))
        parts = np.split(z, np.cumsum(sizes)[:-1], axis=1)
        # port correlation on every port-indexed draw at once (2-D product: fast)
        corr = (parts[0].reshape(-1, P) @ self.port_sqrt_t).reshape(B, -1)
        n_d = Kd * P
        if c.los_backhaul:
            G = np.broadcast_to(self.g_los_full, (B, Q, N, P))
        else:
            G = self.g_los + self.g_pl * corr[:, :n_g].reshape(B, Q, N, P)
        hd = self.hd_pl * corr[:, n_g : n_g + n_d].reshape(B, Kd, P)
        fu = self.fu_pl * corr[:, n_g + n_d :].reshape(B, Ku, P)
        hr = self.hr_los + self.hr_pl * parts[1].reshape(B, Q, Kd, N)
        ur = self.ur_los + self.ur_pl * parts[2].reshape(B, Q, Ku, N)
        gud = self.gud_pl * parts[3].reshape(B, Ku, Kd)
        return Channels(G, hd, fu, hr, ur, gud)


def draw_channels(
    cfg: RisConfig, phy: RisPhysics, drop: Drop, rng: np.random.Generator, batch: int
) -> Channels:
    """``batch`` independent small-scale realisations of the drop's channels."""
    return ChannelSampler(cfg, phy, drop).draw(rng, batch)


@dataclass
class Action:
    """A batch of configurations: discrete (ports, AAV point) and continuous (RIS, powers)."""

    ports: np.ndarray  # (B,M) int
    pos: np.ndarray  # (B,) int
    theta: np.ndarray  # (B,N) rad
    amp: np.ndarray  # (B,N) amplitude gain a_n
    rho: np.ndarray  # (B,) harvesting split
    p_dl: np.ndarray  # (B,Kd) W
    p_ul: np.ndarray  # (B,Ku) W

    def take(self, idx: np.ndarray) -> Action:
        return Action(
            *(getattr(self, f)[idx] for f in ("ports", "pos", "theta", "amp", "rho", "p_dl", "p_ul"))
        )

    def copy(self) -> Action:
        return self.take(np.arange(len(self.pos)))


@dataclass
class Metrics:
    """Per-row results (arrays of length B): EE in bit/J, rates in bit/s, powers in W."""

    ee: np.ndarray
    rate_dl: np.ndarray
    rate_ul: np.ndarray
    power: np.ndarray
    p_eh: np.ndarray
    p_ris: np.ndarray
    users: np.ndarray  # (B, n_dl + n_ul) per-user rates (bit/s), DL users first
    feasible: np.ndarray  # every user meets wireless.ris.min_rate
    score: np.ndarray  # EE where feasible, else minus the summed relative rate shortfall


class RisModel:
    """The batched aerial-RIS model: channels, action decoding, and EE evaluation."""

    def __init__(self, cfg: RisConfig | None = None, params: Registry | None = None) -> None:
        self.cfg = cfg if cfg is not None else RisConfig()
        self.phy = RisPhysics.from_params(params)
        self.combos = self.cfg.port_combos

    # -- action spaces ------------------------------------------------------------------------
    def decode_discrete(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Discrete index → (ports (B,M), AAV point (B,))."""
        idx = np.asarray(index, dtype=int) % self.cfg.n_discrete
        return self.combos[idx // self.cfg.n_positions], idx % self.cfg.n_positions

    def decode_continuous(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        """x ∈ [-1, 1]^D (B,D) → (θ, a, ρ, p_dl, p_ul) within the physical bounds."""
        c, phy = self.cfg, self.phy
        x = np.clip(np.asarray(x, dtype=float), -1.0, 1.0)
        u = (x + 1.0) / 2.0
        N = c.n_elements
        theta = math.pi * x[:, :N]
        if c.ris == "multi-functional":
            amp = phy.a_max * u[:, N : 2 * N]
            rho = phy.rho_max * u[:, 2 * N]
        else:
            amp, rho = np.ones_like(theta), np.zeros(len(x))
        p_dl = phy.p_bs_max / c.n_dl * u[:, 2 * N + 1 : 2 * N + 1 + c.n_dl]
        p_ul = phy.p_ul_max * u[:, 2 * N + 1 + c.n_dl :]
        return theta, amp, rho, p_dl, p_ul

    def action(self, discrete: np.ndarray, continuous: np.ndarray) -> Action:
        ports, pos = self.decode_discrete(discrete)
        return Action(ports, pos, *self.decode_continuous(continuous))

    def default_action(self, batch: int) -> Action:
        """Rigid ports, first AAV point, zero phases, unit amplitude, no harvesting, full power."""
        c = self.cfg
        return Action(
            np.tile(np.arange(c.n_antennas), (batch, 1)),
            np.zeros(batch, dtype=int),
            np.zeros((batch, c.n_elements)),
            np.ones((batch, c.n_elements)),
            np.zeros(batch),
            np.full((batch, c.n_dl), self.phy.p_bs_max / c.n_dl),
            np.full((batch, c.n_ul), self.phy.p_ul_max),
        )

    def project(self, a: Action) -> Action:
        """A copy of ``a`` that obeys this variant: rigid ports, passive unit-gain RIS without
        harvesting, amplitudes within a_max, split within ρ_max, powers within the budgets."""
        c, phy = self.cfg, self.phy
        b = a.copy()
        if not c.fluid:
            b.ports = np.tile(np.arange(c.n_antennas), (len(b.pos), 1))
        b.pos = np.clip(b.pos, 0, c.n_positions - 1)
        if c.ris == "conventional":
            b.amp, b.rho = np.ones_like(b.amp), np.zeros_like(b.rho)
        else:
            b.amp, b.rho = np.clip(b.amp, 0, phy.a_max), np.clip(b.rho, 0, phy.rho_max)
        b.p_dl = np.clip(b.p_dl, 0, phy.p_bs_max / c.n_dl)
        b.p_ul = np.clip(b.p_ul, 0, phy.p_ul_max)
        return b

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ch: Channels, a: Action, rows: np.ndarray | None = None) -> Metrics:
        """EE and its parts for each configuration row (``rows`` picks the channel row of each)."""
        if self.cfg.full_duplex:
            return self._phase(ch, a, rows, dl=True, ul=True)
        d = self._phase(ch, a, rows, dl=True, ul=False)
        u = self._phase(ch, a, rows, dl=False, ul=True)
        rate = d.rate_dl + u.rate_ul
        power = d.power + u.power
        kd = self.cfg.n_dl
        users = np.concatenate([d.users[:, :kd], u.users[:, kd:]], axis=1) / 2
        return self._score(
            rate / power,
            d.rate_dl / 2,
            u.rate_ul / 2,
            power / 2,
            (d.p_eh + u.p_eh) / 2,
            (d.p_ris + u.p_ris) / 2,
            users,
        )

    def _phase(self, ch: Channels, a: Action, rows: np.ndarray | None, *, dl: bool, ul: bool) -> Metrics:
        c, phy = self.cfg, self.phy
        B = len(a.pos)
        r = np.arange(B) if rows is None else np.asarray(rows)
        p_dl = a.p_dl if dl else np.zeros_like(a.p_dl)
        p_ul = a.p_ul if ul else np.zeros_like(a.p_ul)
        G = np.take_along_axis(ch.G[r, a.pos], a.ports[:, None, :], axis=2)  # (B,N,M)
        hd = np.take_along_axis(ch.hd[r], a.ports[:, None, :], axis=2)  # (B,Kd,M)
        fu = np.take_along_axis(ch.fu[r], a.ports[:, None, :], axis=2)  # (B,Ku,M)
        hr, ur, gud = ch.hr[r, a.pos], ch.ur[r, a.pos], ch.gud[r]
        active = c.ris == "multi-functional"
        phi = np.sqrt(1.0 - a.rho)[:, None] * a.amp * np.exp(1j * a.theta)  # (B,N)
        phi2 = np.abs(phi) ** 2
        H = hd + (hr * phi[:, None, :]) @ G  # (B,Kd,M)
        F = fu + (ur * phi[:, None, :]) @ G  # (B,Ku,M)
        Gud = gud + (ur * phi[:, None, :]) @ np.swapaxes(hr, 1, 2)  # (B,Ku,Kd)
        # downlink directions: ZF (pinv) when n_dl <= M, else maximum ratio; unit columns
        Hh = np.conj(np.swapaxes(H, 1, 2))
        if c.n_dl == c.n_antennas:
            W = np.linalg.inv(H)
        elif c.n_dl < c.n_antennas:
            W = Hh @ np.linalg.inv(H @ Hh)
        else:
            W = Hh
        W = W / np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-300)
        S = np.abs(H @ W) ** 2  # (B,Kd,Kd): received power gain of user k from beam i
        sig = np.einsum("bkk->bk", S) * p_dl
        inter = S @ p_dl[:, :, None]
        inter = inter[:, :, 0] - sig
        ud = np.einsum("bj,bjk->bk", p_ul, np.abs(Gud) ** 2)
        ris_noise_dl = phy.ris_noise * (np.abs(hr) ** 2 @ phi2[:, :, None])[:, :, 0] if active else 0.0
        sinr = sig / (inter + ud + ris_noise_dl + phy.noise)
        rate_dl = phy.bandwidth * np.log2(1.0 + sinr).sum(axis=1)
        # uplink: MMSE-SIC sum rate against noise + residual SI + amplified RIS noise
        p_bs = p_dl.sum(axis=1)
        M = c.n_antennas
        R = (phy.noise + phy.beta_si * p_bs)[:, None, None] * np.eye(M)
        if active:
            R = R + np.einsum("bn,bnm,bnl->bml", phy.ris_noise * phi2, G, np.conj(G))
        Sig = np.einsum("bj,bjm,bjl->bml", p_ul, F, np.conj(F))
        # linear MMSE per user: q_j = p_j f_jᴴ (R + Σ_i p_i f_i f_iᴴ)⁻¹ f_j, SINR_j = q_j / (1 − q_j)
        Tinv = np.linalg.inv(R + Sig)
        q = p_ul * np.real(np.einsum("bjm,bml,bjl->bj", np.conj(F), Tinv, F))
        sinr_ul = q / np.maximum(1.0 - q, 1e-300)
        user_ul = phy.bandwidth * np.log2(1.0 + sinr_ul)
        rate_ul = user_ul.sum(axis=1)
        user_dl = phy.bandwidth * np.log2(1.0 + sinr)
        # power at each element: downlink beams and uplink users
        GW = G @ W  # (B,N,Kd)
        p_in = (np.abs(GW) ** 2 @ p_dl[:, :, None])[:, :, 0] + (np.abs(ur) ** 2 * p_ul[:, :, None]).sum(
            axis=1
        )
        N = c.n_elements
        p_eh = phy.eta_eh * a.rho * p_in.sum(axis=1) if active else np.zeros(B)
        p_ris = np.full(B, N * phy.p_sw)
        if active:
            added = np.clip(a.amp**2 - 1.0, 0.0, None) * (1 - a.rho)[:, None] * (p_in + phy.ris_noise)
            p_ris = p_ris + N * phy.p_dc + added.sum(axis=1) / phy.eta_amp
        # transceiver circuits run only for active links: BS transmit chains and a DL user's
        # receiver while it is served; BS receive chains and an UL user's transmitter while it sends
        on_dl, on_ul = p_dl > 0, p_ul > 0
        circuits = (
            M * phy.p_tx_chain * on_dl.any(axis=1)
            + phy.p_rx_chain * on_dl.sum(axis=1)
            + M * phy.p_rx_chain * on_ul.any(axis=1)
            + phy.p_tx_chain * on_ul.sum(axis=1)
        )
        power = (p_bs + p_ul.sum(axis=1)) / phy.eta_pa + circuits + p_ris - p_eh
        power = np.maximum(power, 1e-12)
        rate = rate_dl + rate_ul
        return self._score(
            rate / power, rate_dl, rate_ul, power, p_eh, p_ris, np.concatenate([user_dl, user_ul], 1)
        )

    def _score(
        self,
        ee: np.ndarray,
        rate_dl: np.ndarray,
        rate_ul: np.ndarray,
        power: np.ndarray,
        p_eh: np.ndarray,
        p_ris: np.ndarray,
        users: np.ndarray,
    ) -> Metrics:
        short = (
            np.clip(1.0 - users / self.phy.min_rate, 0.0, None).sum(axis=1)
            if self.phy.min_rate > 0
            else 0 * ee
        )
        feasible = short <= 1e-9
        score = np.where(feasible, ee, -short)
        return Metrics(ee, rate_dl, rate_ul, power, p_eh, p_ris, users, feasible, score)
