"""The same FedAvg run as :func:`run_fedavg`, as a real Flower simulation (optional ``flwr``).

A ``ClientApp`` trains with the shared :func:`local_train` and batch-order generator and returns
its update in the wire dtype with its sample count and FLOPs. A ``ServerApp`` runs Flower's own
``FedAvg`` strategy, subclassed only to book every message into the ledger: downlink and uplink
bits are Flower's own ``ArrayRecord.count_bytes()`` of the records actually sent, compute comes
from the FLOPs the clients report. Accuracy is measured by the strategy's ``evaluate_fn``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from typing import Any, cast

import numpy as np

from wattlab.errors import require
from wattlab.systems.fl.data import FleetData
from wattlab.systems.fl.energy import EnergyModel
from wattlab.systems.fl.engine import (
    FedSpec,
    RunResult,
    _fedavg_setup,
    client_rng,
    initial_params,
)
from wattlab.systems.fl.ledger import EnergyLedger
from wattlab.systems.fl.model import ModelSpec, accuracy, local_train, to_wire


def _import_flwr() -> Any:
    os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    os.environ.setdefault("FLWR_HOME", tempfile.mkdtemp(prefix="wattlab-flwr-"))
    return require("flwr", extra="fl", purpose="the Flower federated simulation")


def run_flower(data: FleetData, model: ModelSpec, fed: FedSpec, energy: EnergyModel, seed: int,
               num_cpus: int = 2) -> RunResult:
    """FedAvg over all nodes with ``flwr.simulation.run_simulation`` (Ray backend)."""
    _import_flwr()
    from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp
    from flwr.serverapp import Grid, ServerApp
    from flwr.serverapp.strategy import FedAvg
    from flwr.simulation import run_simulation

    counts = [int(y.size) for y in data.y_train]
    k = len(counts)
    ledger = EnergyLedger("federated-flower")
    _fedavg_setup(ledger, counts, data.n_features, data.feature_flops_per_sample, fed, energy)
    accs: list[float] = []
    final: dict[str, ArrayRecord] = {}
    x_train, y_train, wire = data.x_train, data.y_train, fed.wire_dtype

    client_app = ClientApp()

    @client_app.train()
    def train(msg: Message, context: Context) -> Message:
        cid = cast(int, context.node_config["partition-id"])
        rnd = cast(int, msg.content.config_records["config"]["server-round"])
        start = msg.content.array_records["arrays"].to_numpy_ndarrays()
        new = local_train(start, x_train[cid], y_train[cid], model, fed.local_epochs,
                          client_rng(seed, rnd, cid))
        flops = fed.local_epochs * y_train[cid].size * model.train_flops_per_sample
        content = RecordDict({
            "arrays": ArrayRecord(to_wire(new, wire)),
            "metrics": MetricRecord({"num-examples": int(y_train[cid].size),
                                     "partition-id": cid, "train-flops": float(flops)})})
        return Message(content=content, reply_to=msg)

    class LedgerFedAvg(FedAvg):
        """Flower's FedAvg, booking every message it sends and receives into the ledger."""

        def __init__(self) -> None:
            super().__init__(fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=k,
                             min_available_nodes=k)
            self.node_partition: dict[int, int] = {}

        def configure_train(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord,
                            grid: Grid) -> Iterable[Message]:
            msgs = list(super().configure_train(server_round, arrays, config, grid))
            self.down_bits = 8.0 * arrays.count_bytes()
            return msgs

        def aggregate_train(self, server_round: int,
                            replies: Iterable[Message]) -> tuple[Any, Any]:
            replies = list(replies)
            by_client: dict[int, tuple[float, float]] = {}
            for r in replies:
                m = r.content.metric_records["metrics"]
                by_client[cast(int, m["partition-id"])] = (
                    8.0 * r.content.array_records["arrays"].count_bytes(),
                    cast(float, m["train-flops"]))
            for cid in sorted(by_client):
                up, flops = by_client[cid]
                energy.client_round(ledger, server_round, f"client-{cid}", flops, self.down_bits,
                                    up)
            energy.compute(ledger, "aggregate", "server", 2.0 * k * model.n_params,
                           energy.server, server_round)
            return super().aggregate_train(server_round, replies)

    def evaluate(server_round: int, arrays: ArrayRecord) -> MetricRecord:
        params = [a.astype(np.float64) for a in arrays.to_numpy_ndarrays()]
        accs.append(accuracy(params, data.x_test, data.y_test))
        final["arrays"] = arrays
        return MetricRecord({"accuracy": accs[-1]})

    server_app = ServerApp()

    @server_app.main()
    def main(grid: Grid, context: Context) -> None:
        LedgerFedAvg().start(grid=grid, initial_arrays=ArrayRecord(
            initial_params(model, seed, wire)), num_rounds=fed.rounds, evaluate_fn=evaluate)

    run_simulation(server_app=server_app, client_app=client_app, num_supernodes=k,
                   backend_config={"client_resources": {"num_cpus": 1},
                                   "init_args": {"num_cpus": num_cpus,
                                                 "include_dashboard": False}})
    if len(accs) != fed.rounds + 1:
        raise RuntimeError(f"the Flower simulation finished {len(accs) - 1} of {fed.rounds} "
                           "rounds; see the Flower log above")
    params = [a.astype(np.float64) for a in final["arrays"].to_numpy_ndarrays()]
    return RunResult(params, accs, ledger)
