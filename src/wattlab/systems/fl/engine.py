"""Centralised training and a NumPy FedAvg engine, each filling an :class:`EnergyLedger`.

Both start from the same standardised features (federated standardisation: every node sends
its feature sums once). Centralised training uploads the nodes' raw windows, extracts
features and trains on the server, then pushes the model to every node. FedAvg (McMahan et al.
2017) broadcasts the global model, trains ``local_epochs`` on every node, uploads the updates
in the wire dtype and averages them weighted by sample count. ``plan_*`` build the same
ledgers from counts alone (no training), for sweeps; a test holds plan and run equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wattlab.errors import SpecError
from wattlab.systems.fl.data import FleetData
from wattlab.systems.fl.energy import EnergyModel, stats_bits, zeros_like_model
from wattlab.systems.fl.ledger import EnergyLedger
from wattlab.systems.fl.model import (
    Arrays,
    ModelSpec,
    accuracy,
    init_params,
    local_train,
    payload_bits,
    standardiser,
    to_wire,
)

_SERVER_STREAM = 2**31  # the random stream id of server-side (centralised) training


@dataclass(frozen=True)
class FedSpec:
    """Training schedule: FedAvg rounds and local epochs; centralised epochs default to the
    same number of passes over the data (``rounds × local_epochs``)."""

    rounds: int = 20
    local_epochs: int = 1
    central_epochs: int | None = None
    wire_dtype: str = "float32"

    def __post_init__(self) -> None:
        for name in ("rounds", "local_epochs"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                raise SpecError(f"FedSpec field '{name}' is {v!r}; use a whole number >= 1")
        if self.central_epochs is not None and self.central_epochs < 1:
            raise SpecError(f"FedSpec field 'central_epochs' is {self.central_epochs}; use >= 1")
        if np.dtype(self.wire_dtype).kind != "f":
            raise SpecError(f"FedSpec field 'wire_dtype' is '{self.wire_dtype}'; use a float dtype")

    @property
    def epochs_central(self) -> int:
        return self.central_epochs or self.rounds * self.local_epochs


@dataclass
class RunResult:
    """Final parameters, accuracy on the pooled test set after each round/epoch (index 0 =
    initial model) and the ledger of the run."""

    params: Arrays
    accuracy: list[float]
    ledger: EnergyLedger

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1]


def standardise(data: FleetData) -> FleetData:
    """Scale every node's features by the global mean/std built from per-node sums."""
    sums = sum(x.sum(axis=0) for x in data.x_train)
    sq = sum((x**2).sum(axis=0) for x in data.x_train)
    n = sum(x.shape[0] for x in data.x_train)
    mean, std = standardiser(np.asarray(sums), np.asarray(sq), float(n))
    return FleetData(tuple((x - mean) / std for x in data.x_train), data.y_train,
                     (data.x_test - mean) / std, data.y_test, data.raw_bits_per_sample,
                     data.feature_flops_per_sample)


def client_rng(seed: int, rnd: int, client: int) -> np.random.Generator:
    """The batch-order generator of one node in one round (shared with the Flower client)."""
    return np.random.default_rng([seed, rnd, client])


def initial_params(model: ModelSpec, seed: int, wire_dtype: str) -> Arrays:
    return to_wire(init_params(model, np.random.default_rng([seed])), wire_dtype)


def _counts(data: FleetData) -> list[int]:
    return [int(y.size) for y in data.y_train]


def run_central(data: FleetData, model: ModelSpec, fed: FedSpec, energy: EnergyModel,
                seed: int) -> RunResult:
    """Server training on the pooled data (standardised ``data``)."""
    x, y = data.pooled()
    params = initial_params(model, seed, fed.wire_dtype)
    acc = [accuracy(params, data.x_test, data.y_test)]
    current = [p.astype(np.float64) for p in params]
    for epoch in range(1, fed.epochs_central + 1):
        current = local_train(current, x, y, model, 1, client_rng(seed, epoch, _SERVER_STREAM))
        acc.append(accuracy(current, data.x_test, data.y_test))
    wire = to_wire(current, fed.wire_dtype)
    ledger = EnergyLedger("central")
    energy.central(ledger, _counts(data), data.raw_bits_per_sample,
                   data.feature_flops_per_sample, model, fed.epochs_central,
                   payload_bits(wire), stats_bits(data.n_features, fed.wire_dtype)[1])
    return RunResult(current, acc, ledger)


def _fedavg_setup(ledger: EnergyLedger, data_counts: Sequence[int], n_features: int,
                  feature_flops: float, fed: FedSpec, energy: EnergyModel) -> None:
    up, down = stats_bits(n_features, fed.wire_dtype)
    energy.fl_setup(ledger, data_counts, n_features, feature_flops, up, down)


def run_fedavg(data: FleetData, model: ModelSpec, fed: FedSpec, energy: EnergyModel,
               seed: int) -> RunResult:
    """FedAvg over all nodes every round (standardised ``data``), in NumPy."""
    counts = _counts(data)
    weights = np.asarray(counts, dtype=float) / sum(counts)
    ledger = EnergyLedger("federated")
    _fedavg_setup(ledger, counts, data.n_features, data.feature_flops_per_sample, fed, energy)
    glob = initial_params(model, seed, fed.wire_dtype)
    acc = [accuracy(glob, data.x_test, data.y_test)]
    for rnd in range(1, fed.rounds + 1):
        down = payload_bits(glob)
        updates = [to_wire(local_train(glob, x, y, model, fed.local_epochs,
                                       client_rng(seed, rnd, c)), fed.wire_dtype)
                   for c, (x, y) in enumerate(zip(data.x_train, data.y_train, strict=True))]
        energy.fl_round(ledger, rnd, counts, model, fed.local_epochs, [down] * len(counts),
                        [payload_bits(u) for u in updates])
        glob = to_wire([sum(w * u[i].astype(np.float64) for w, u in zip(weights, updates,
                                                                         strict=True))
                        for i in range(len(glob))], fed.wire_dtype)
        acc.append(accuracy(glob, data.x_test, data.y_test))
    return RunResult([p.astype(np.float64) for p in glob], acc, ledger)


def plan_central(n_per_client: Sequence[int], raw_bits: float, feature_flops: float,
                 n_features: int, model: ModelSpec, fed: FedSpec, energy: EnergyModel,
                 upload: str = "raw") -> EnergyLedger:
    """The centralised ledger from counts alone; ``upload`` is ``raw`` (windows, features on
    the server) or ``features`` (extracted on the nodes, sent in the wire dtype)."""
    _check_counts(n_per_client)
    if upload not in ("raw", "features"):
        raise SpecError(f"field 'upload' is '{upload}'; use 'raw' or 'features'")
    on_node = upload == "features"
    bits = n_features * 8.0 * np.dtype(fed.wire_dtype).itemsize if on_node else raw_bits
    ledger = EnergyLedger("central")
    energy.central(ledger, n_per_client, bits, feature_flops, model, fed.epochs_central,
                   payload_bits(zeros_like_model(model, fed.wire_dtype)),
                   stats_bits(n_features, fed.wire_dtype)[1], features_on_node=on_node)
    return ledger


def plan_federated(n_per_client: Sequence[int], feature_flops: float, n_features: int,
                   model: ModelSpec, fed: FedSpec, energy: EnergyModel) -> EnergyLedger:
    """The FedAvg ledger from counts alone."""
    _check_counts(n_per_client)
    ledger = EnergyLedger("federated")
    _fedavg_setup(ledger, n_per_client, n_features, feature_flops, fed, energy)
    bits = [payload_bits(zeros_like_model(model, fed.wire_dtype))] * len(n_per_client)
    for rnd in range(1, fed.rounds + 1):
        energy.fl_round(ledger, rnd, n_per_client, model, fed.local_epochs, bits, bits)
    return ledger


def _check_counts(n_per_client: Sequence[int]) -> None:
    if len(n_per_client) == 0:
        raise SpecError("field 'n_per_client' is empty: zero clients; give at least one node")
    bad = [n for n in n_per_client if not (np.isfinite(n) and n >= 0)]
    if bad:
        raise SpecError(f"field 'n_per_client' holds {bad[0]!r}; the data volume per node "
                        "must be a finite number of samples >= 0")
