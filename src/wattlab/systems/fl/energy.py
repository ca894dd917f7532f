"""Device and link energy models, and the events of centralised and federated training.

Compute energy is ``FLOPs × J/FLOP`` of the device that runs them (edge node: board power over
its effective FLOP rate; server: TDP over utilised peak, times PUE). Communication energy is
``bits × J/bit`` at the node's radio, uplink or downlink. The boundary is the nodes' radios and
CPUs plus the server with its facility overhead; base stations, the core network, sensing
and the nodes' idle power are the same in both architectures or outside it and are not counted.

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

    def __post_init__(self) -> None:
        if not self.j_per_flop >= 0:
            raise SpecError(f"ComputeDevice '{self.name}' field 'j_per_flop' is "
                            f"{self.j_per_flop}; it must be >= 0")


def edge_device(params: Registry) -> ComputeDevice:
    """Wayside edge node: loaded board power over its effective FLOP rate."""
    power, flops = params.values("fl.edge.power", "fl.edge.flops")
    return ComputeDevice("edge", power / flops, ("fl.edge.power", "fl.edge.flops"))


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
class EnergyModel:
    """Who pays for what: the nodes' device, the server and the radio link."""

    client: ComputeDevice
    server: ComputeDevice
    link: Link

    @classmethod
    def default(cls, params: Registry, radio: str = "lte") -> EnergyModel:
        return cls(edge_device(params), server_device(params), radio_link(radio, params))

    # -- single events ------------------------------------------------------------------------
    def compute(self, ledger: EnergyLedger, phase: str, actor: str, flops: float,
                device: ComputeDevice, rnd: int = 0) -> None:
        ledger.add(Entry("compute", phase, actor, rnd, flops * device.j_per_flop, flops=flops,
                         sources=device.sources))

    def send(self, ledger: EnergyLedger, phase: str, actor: str, bits: float, up: bool,
             rnd: int = 0) -> None:
        joules = self.link.uplink_j(bits) if up else self.link.downlink_j(bits)
        ledger.add(Entry("comm", phase, actor, rnd, joules, bits=bits, sources=self.link.sources))

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
        """One FedAvg round: broadcast, local training, upload, weighted averaging."""
        for c, n in enumerate(n_per_client):
            self.send(ledger, "downlink", f"client-{c}", down_bits[c], up=False, rnd=rnd)
            self.compute(ledger, "client-train", f"client-{c}",
                         epochs * n * model.train_flops_per_sample, self.client, rnd)
            self.send(ledger, "uplink", f"client-{c}", up_bits[c], up=True, rnd=rnd)
        self.compute(ledger, "aggregate", "server", 2.0 * len(n_per_client) * model.n_params,
                     self.server, rnd)

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
                      f"client-{c}", n * sample_bits, up=True)
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
