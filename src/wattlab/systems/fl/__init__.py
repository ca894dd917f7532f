"""Centralised vs federated learning on IoT nodes, with an auditable energy ledger.

``data`` makes synthetic railway-vibration features, ``model`` a small NumPy classifier,
``engine`` trains it centrally or with NumPy FedAvg, ``flower`` runs the same FedAvg in a real
Flower simulation (optional dependency), ``energy`` and ``ledger`` account every event.
"""

from wattlab.systems.fl.data import CLASSES, FleetData, RailSpec, generate_fleet
from wattlab.systems.fl.energy import (
    RADIOS,
    ComputeDevice,
    EnergyModel,
    Link,
    Sessions,
    edge_device,
    lte_sessions,
    radio_link,
    server_device,
)
from wattlab.systems.fl.engine import (
    FedSpec,
    RunResult,
    plan_central,
    plan_federated,
    run_central,
    run_fedavg,
    standardise,
)
from wattlab.systems.fl.ledger import EnergyLedger, Entry
from wattlab.systems.fl.model import ModelSpec

__all__ = [
    "CLASSES",
    "RADIOS",
    "ComputeDevice",
    "EnergyLedger",
    "EnergyModel",
    "Entry",
    "FedSpec",
    "FleetData",
    "Link",
    "ModelSpec",
    "RailSpec",
    "RunResult",
    "Sessions",
    "edge_device",
    "generate_fleet",
    "lte_sessions",
    "plan_central",
    "plan_federated",
    "radio_link",
    "run_central",
    "run_fedavg",
    "server_device",
    "standardise",
]
