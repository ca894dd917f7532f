"""Device and link energy models, and the events of centralised and federated training.

Compute energy is ``FLOPs × J/FLOP`` of the device that runs them (edge node: board power over
its effective FLOP rate; server: TDP over utilised peak, times PUE). Communication energy is
``bits × J/bit`` at the node's radio, uplink or downlink. The boundary is the nodes' radios and
CPUs plus the server with its facility overhead; base stations, the core network, sensing
and the nodes' board idle power are the same in both architectures or outside it and are not
counted.

Radio session overheads (:class:`Sessions`, issue 10 part 6): every transfer session (each FL
round's download and upload, the set-up exchanges, each centralised upload batch and the model
push) pays the LTE RRC promotion and tail energy of the Huang et al. (2012) state machine; a
federated node listens at the RRC_IDLE paging power while it waits for the next global model
(``fl.round.wait`` minus the tail it already paid); and every transfer's airtime is multiplied
by ``1 / (1 − BLER)`` (HARQ/ARQ retried until success), the extra charged as its own entry.
Assumptions, stated: download and upload of a round are separate sessions (training is not
assumed to fit inside the tail), and centralised uploads open ``v / batch`` sessions (a fluid
approximation that keeps the ledgers affine in the volume ``v``).

A :class:`Link` takes a fixed J/bit or any callable ``bits -> J`` (e.g. a closure over
``wattlab.systems.radio``'s energy per bit at a given distance), so a link model can be
plugged in without touching this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.systems.fl.ledger import EnergyLedger, Entry
from wattlab.systems.fl.model import Arrays, ModelSpec, payload_bits

CommModel = float | Callable[[float], float]


@dataclass(frozen=True)
class ComputeDevice:
    """A device charged per FLOP."""

    name: str
    j_per_flop: float
    sources: tuple[str, ...] = ()
    s_per_flop: float = 0.0

    def __post_init__(self) -> None:
        for f in ("j_per_flop", "s_per_flop"):
            if not getattr(self, f) >= 0:
                raise SpecError(f"ComputeDevice '{self.name}' field '{f}' is "
                                f"{getattr(self, f)}; it must be >= 0")


def edge_device(params: Registry) -> ComputeDevice:
    """Wayside edge node: loaded board power over its effective FLOP rate."""
    power, flops = params.values("fl.edge.power", "fl.edge.flops")
    return ComputeDevice("edge", power / flops, ("fl.edge.power", "fl.edge.flops"), 1.0 / flops)


def server_device(params: Registry) -> ComputeDevice:
    """The catalogue's A100 at TDP over its utilised fp32 peak, times the facility PUE."""
    keys = ("dev.a100.tdp", "dev.a100.peak_fp32", "fl.server.utilisation", "fl.server.pue")
    power, peak, util, pue = params.values(*keys)
    return ComputeDevice("server", power / (peak * util) * pue, keys)


def _as_energy(model: CommModel, field_name: str) -> Callable[[float], float]:
    if callable(model):
        return model
    if not (isinstance(model, int | float) and model >= 0):
        raise SpecError(f"Link field '{field_name}' is {model!r}; give J/bit >= 0 or a "
                        "callable bits -> joules")
    return lambda bits: bits * float(model)


@dataclass(frozen=True)
class Link:
    """Node-side radio energy: ``uplink``/``downlink`` are J/bit or callables ``bits -> J``."""

    name: str
    uplink: CommModel
    downlink: CommModel
    sources: tuple[str, ...] = ()

    def uplink_j(self, bits: float) -> float:
        return _as_energy(self.uplink, "uplink")(bits)

    def downlink_j(self, bits: float) -> float:
        return _as_energy(self.downlink, "downlink")(bits)


RADIOS = ("lte", "ltem", "nbiot", "link-bpsk")


def radio_link(name: str, params: Registry) -> Link:
    """Energy per bit = marginal power per throughput + base power / rate, per direction.

    ``lte``: the Huang et al. (2012) LTE phone model at median throughputs. ``ltem`` and
    ``nbiot``: 3GPP's reference transmit/receive powers over assumed sustained rates.
    ``link-bpsk``: wattlab's own link model (:mod:`wattlab.systems.radio`, Cui et al. 2005 budget)
    for coherent BPSK at ``fl.link_model.distance``: uplink is the whole transmit-side energy
    per bit, downlink the node's receive circuit per bit.
    """
    if name == "lte":
        lte = ("fl.lte.alpha_ul", "fl.lte.alpha_dl", "fl.lte.base_power", "fl.lte.rate_ul",
               "fl.lte.rate_dl")
        a_ul, a_dl, base, r_ul, r_dl = params.values(*lte)
        return Link(name, a_ul + base / r_ul, a_dl + base / r_dl, lte)
    if name in ("ltem", "nbiot"):
        ciot = ("fl.ciot.tx_power", "fl.ciot.rx_power", f"fl.{name}.rate_ul", f"fl.{name}.rate_dl")
        tx, rx, r_ul, r_dl = params.values(*ciot)
        return Link(name, tx / r_ul, rx / r_dl, ciot)
    if name == "link-bpsk":
        from wattlab.systems.radio import energy_per_bit

        d = params.value("fl.link_model.distance")
        ul = energy_per_bit("bpsk", d, params=params)
        # The link model is symmetric: the node's receive energy per bit is its receive circuit.
        return Link(name, ul.energy_total_j, ul.energy_j["rx_circuit"],
                    ("fl.link_model.distance", *ul.sources))
    raise SpecError(f"unknown radio '{name}'; choose one of {RADIOS} or build a Link")


@dataclass(frozen=True)
class Sessions:
    """Per-session radio overheads: promotion and tail joules per session, listening power
    between rounds, the wait per round, the block error rate and the centralised batch size."""

    promotion_j: float = 0.0
    tail_j: float = 0.0
    tail_s: float = 0.0
    listen_w: float = 0.0
    wait_s: float = 0.0
    bler: float = 0.0
    batch_windows: float = 1.0
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("promotion_j", "tail_j", "tail_s", "listen_w", "wait_s"):
            v = getattr(self, name)
            if not v >= 0:
                raise SpecError(f"Sessions field '{name}' is {v!r}; it must be >= 0")
        if not 0 <= self.bler < 1:
            raise SpecError(f"Sessions field 'bler' is {self.bler!r}; give a block error rate "
                            "in [0, 1)")
        if not self.batch_windows > 0:
            raise SpecError(f"Sessions field 'batch_windows' is {self.batch_windows!r}; "
                            "give > 0 windows per upload session")

    @property
    def retx_factor(self) -> float:
        """Expected extra airtime per unit of first-try airtime: ``1/(1 − BLER) − 1``."""
        return 1.0 / (1.0 - self.bler) - 1.0

    @property
    def tail_w(self) -> float:
        """Power in the tail (``tail_j / tail_s``; 0 without a tail)."""
        return self.tail_j / self.tail_s if self.tail_s > 0 else 0.0

    @property
    def listen_s(self) -> float:
        """Seconds a node listens per round after its tail, waiting for the next model."""
        return max(0.0, self.wait_s - self.tail_s)

    def source_keys(self, *names: str) -> tuple[str, ...]:
        return tuple(k for k in self.sources if any(n in k for n in names))


def lte_sessions(params: Registry, radio: str = "lte") -> Sessions:
    """Session overheads from the registry. Promotion, tail and listening are the LTE state
    machine's (Huang et al. 2012) and are charged for ``radio="lte"`` only; the block error
    rate applies to every radio."""
    bler_keys = ("fl.radio.bler", "fl.central.batch_windows")
    bler, batch = params.values(*bler_keys)
    if radio != "lte":
        return Sessions(bler=bler, batch_windows=batch, sources=bler_keys)
    keys = ("fl.lte.promotion_power", "fl.lte.promotion_time", "fl.lte.tail_power",
            "fl.lte.tail_time", "fl.lte.listen_power", "fl.round.wait")
    p_pro, t_pro, p_tail, t_tail, p_listen, wait = params.values(*keys)
    return Sessions(p_pro * t_pro, p_tail * t_tail, t_tail, p_listen, wait, bler, batch,
                    (*keys, *bler_keys))


@dataclass(frozen=True)
class EnergyModel:
    """Who pays for what: the nodes' device, the server, the radio link and its sessions."""

    client: ComputeDevice
    server: ComputeDevice
    link: Link
    sessions: Sessions = Sessions()

    @classmethod
    def default(cls, params: Registry, radio: str = "lte",
                overheads: bool = True) -> EnergyModel:
        """The registry's devices and ``radio``; ``overheads=False`` drops the session
        overheads (promotion, tail, listening, retransmissions: per-bit energy only)."""
        sessions = lte_sessions(params, radio) if overheads else Sessions()
        return cls(edge_device(params), server_device(params), radio_link(radio, params),
                   sessions)

    # -- single events ------------------------------------------------------------------------
    def compute(self, ledger: EnergyLedger, phase: str, actor: str, flops: float,
                device: ComputeDevice, rnd: int = 0) -> None:
        ledger.add(Entry("compute", phase, actor, rnd, flops * device.j_per_flop, flops=flops,
                         sources=device.sources))

    def send(self, ledger: EnergyLedger, phase: str, actor: str, bits: float, up: bool,
             rnd: int = 0, sessions: float = 1.0, promotions: float | None = None,
             tails: float | None = None) -> None:
        """A transfer of ``bits`` over ``sessions`` RRC sessions: the first-try airtime, the
        retransmissions (``BLER``) and each session's promotion and tail, as separate entries
        (``promotions``/``tails`` override the count when a transfer joins an open session)."""
        promotions = sessions if promotions is None else promotions
        tails = sessions if tails is None else tails
        joules = self.link.uplink_j(bits) if up else self.link.downlink_j(bits)
        ledger.add(Entry("comm", phase, actor, rnd, joules, bits=bits, sources=self.link.sources))
        s = self.sessions
        if s.bler > 0:
            ledger.add(Entry("comm", f"{phase}-retx", actor, rnd, joules * s.retx_factor,
                             bits=bits * s.retx_factor,
                             sources=(*self.link.sources, *s.source_keys("bler"))))
        if promotions > 0 and s.promotion_j > 0:
            ledger.add(Entry("radio-state", "rrc-promotion", actor, rnd,
                             promotions * s.promotion_j, sources=s.source_keys("promotion")))
        if tails > 0 and s.tail_j > 0:
            ledger.add(Entry("radio-state", "rrc-tail", actor, rnd, tails * s.tail_j,
                             sources=s.source_keys("tail")))

    def listen(self, ledger: EnergyLedger, actor: str, rnd: int) -> None:
        """A node attached and listening (RRC_IDLE paging) until the next global model."""
        s = self.sessions
        if s.listen_w > 0 and s.listen_s > 0:
            ledger.add(Entry("idle", "listen", actor, rnd, s.listen_w * s.listen_s,
                             sources=s.source_keys("listen", "wait", "tail_time")))

    # -- the phases shared by the engines and the planners ---------------------------------------
    def fl_setup(self, ledger: EnergyLedger, n_per_client: Sequence[int], n_features: int,
                 feature_flops: float, stats_bits: float, scaler_bits: float) -> None:
        """Local feature extraction, upload of feature sums, broadcast of the standardiser."""
        for c, n in enumerate(n_per_client):
            self.compute(ledger, "client-features", f"client-{c}", n * feature_flops, self.client)
            self.send(ledger, "stats-upload", f"client-{c}", stats_bits, up=True)
            self.send(ledger, "stats-broadcast", f"client-{c}", scaler_bits, up=False)
        self.compute(ledger, "aggregate", "server", 2.0 * len(n_per_client) * n_features,
                     self.server)

    def fl_round(self, ledger: EnergyLedger, rnd: int, n_per_client: Sequence[int],
                 model: ModelSpec, epochs: int, down_bits: Sequence[float],
                 up_bits: Sequence[float]) -> None:
        """One FedAvg round: broadcast, local training, upload, weighted averaging.

        RRC: the download opens a session. If local training ends before the tail timer
        expires, the upload joins that session (no second promotion) and the radio spends the
        training time in the tail state (charged at tail power, phase ``rrc-tail``); otherwise
        the download's full tail is paid and the upload opens a new session."""
        for c, n in enumerate(n_per_client):
            self.client_round(ledger, rnd, f"client-{c}", epochs * n * model.train_flops_per_sample,
                              down_bits[c], up_bits[c])
        self.compute(ledger, "aggregate", "server", 2.0 * len(n_per_client) * model.n_params,
                     self.server, rnd)

    def client_round(self, ledger: EnergyLedger, rnd: int, client: str, flops: float,
                     down_bits: float, up_bits: float) -> None:
        """One client's part of a round (see :meth:`fl_round`): download, local training,
        upload, and listening until the next round."""
        s = self.sessions
        t_train = flops * self.client.s_per_flop
        joined = t_train < s.tail_s
        self.send(ledger, "downlink", client, down_bits, up=False, rnd=rnd,
                  tails=0.0 if joined else 1.0)
        self.compute(ledger, "client-train", client, flops, self.client, rnd)
        if joined and s.tail_w > 0 and t_train > 0:
            ledger.add(Entry("radio-state", "rrc-tail", client, rnd, s.tail_w * t_train,
                             sources=(*s.source_keys("tail"), *self.client.sources)))
        self.send(ledger, "uplink", client, up_bits, up=True, rnd=rnd,
                  promotions=0.0 if joined else 1.0)
        self.listen(ledger, client, rnd)

    def central(self, ledger: EnergyLedger, n_per_client: Sequence[int], sample_bits: float,
                feature_flops: float, model: ModelSpec, epochs: int, model_bits: float,
                scaler_bits: float, features_on_node: bool = False) -> None:
        """Upload of every sample (``sample_bits`` each), server training, model push back.

        Raw windows by default (features extracted on the server); with ``features_on_node``
        the nodes extract features and upload those instead.
        """
        n_total = sum(n_per_client)
        for c, n in enumerate(n_per_client):
            if features_on_node:
                self.compute(ledger, "client-features", f"client-{c}", n * feature_flops,
                             self.client)
            self.send(ledger, "feature-upload" if features_on_node else "raw-upload",
                      f"client-{c}", n * sample_bits, up=True,
                      sessions=n / self.sessions.batch_windows)
        if not features_on_node:
            self.compute(ledger, "server-features", "server", n_total * feature_flops,
                         self.server)
        self.compute(ledger, "server-train", "server",
                     epochs * n_total * model.train_flops_per_sample, self.server)
        for c in range(len(n_per_client)):
            self.send(ledger, "model-push", f"client-{c}", model_bits + scaler_bits, up=False)


def zeros_like_model(model: ModelSpec, dtype: str) -> Arrays:
    """Arrays of the model's shapes (payload sizes for planning without training)."""
    return [np.zeros(s, dtype=dtype) for s in model.shapes]


def stats_bits(n_features: int, dtype: str) -> tuple[float, float]:
    """Payload of one node's feature sums (x, x², count) and of the standardiser (mean, std)."""
    sums = [np.zeros(n_features, dtype), np.zeros(n_features, dtype), np.zeros(1, dtype)]
    return payload_bits(sums), payload_bits(sums[:2])
