"""Energy of centralised vs federated training over data volume, model size and rounds.

Both ledgers are affine in the samples per node ``v`` (every node holding ``v``):
``E(v) = a + b·v``. The break-even volume solves ``E_FL = E_CL``; the volume that reaches a
saving ``s`` solves ``E_FL = (1 − s)·E_CL``; the saving tends to ``1 − b_FL / b_CL`` as ``v``
grows. The coefficients come from two planned ledgers (``v = 0`` and ``v = 1``).

With the radio session overheads the ledgers stay affine because centralised uploads open
``v / batch`` sessions (fluid) and a round's download and upload share one RRC session while
local training is shorter than the LTE tail; past the volume where training outlasts the tail
(``t_train = epochs·v·FLOPs/rate > T_tail``, millions of windows at the default model) each
round pays a second promotion and the affine fit from ``v ≤ 1`` underestimates FL's energy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from wattlab.errors import SpecError
from wattlab.systems.fl.energy import EnergyModel
from wattlab.systems.fl.engine import FedSpec, plan_central, plan_federated
from wattlab.systems.fl.model import ModelSpec


@dataclass(frozen=True)
class Affine:
    """``E(v) = a + b·v`` joules for ``v`` samples per node."""

    a: float
    b: float

    def __call__(self, v: Any) -> Any:
        """Joules at ``v`` samples per node (a float or an array of volumes)."""
        return self.a + self.b * v


@dataclass(frozen=True)
class Comparison:
    """Centralised and federated energy as functions of samples per node."""

    central: Affine
    federated: Affine

    def saving(self, v: float) -> float:
        """``1 − E_FL / E_CL`` at ``v`` samples per node."""
        if not v >= 0:
            raise SpecError(f"field 'samples_per_client' is {v!r}; the data volume must be >= 0")
        return 1.0 - self.federated(v) / self.central(v)

    def volume_for(self, saving: float) -> float:
        """Smallest ``v >= 0`` at which FL saves at least ``saving`` (inf if never)."""
        keep = 1.0 - saving
        num = self.federated.a - keep * self.central.a
        den = keep * self.central.b - self.federated.b
        if num <= 0:
            return 0.0
        return num / den if den > 0 else math.inf

    @property
    def break_even(self) -> float:
        """Smallest samples per node at which FL costs no more than centralised training."""
        return self.volume_for(0.0)

    @property
    def asymptotic_saving(self) -> float:
        return 1.0 - self.federated.b / self.central.b


def compare(n_clients: int, raw_bits: float, feature_flops: float, n_features: int,
            model: ModelSpec, fed: FedSpec, energy: EnergyModel,
            central_upload: str = "raw") -> Comparison:
    """Affine energy models of both architectures for ``n_clients`` equal nodes
    (``central_upload``: what centralised training sends, see :func:`plan_central`)."""
    if int(n_clients) != n_clients or n_clients < 1:
        raise SpecError(f"field 'n_clients' is {n_clients!r}; give at least one node")

    def fit(v: int, central: bool) -> float:
        counts = [v] * n_clients
        if central:
            return plan_central(counts, raw_bits, feature_flops, n_features, model, fed,
                                energy, central_upload).total_j
        return plan_federated(counts, feature_flops, n_features, model, fed, energy).total_j

    cl0, fl0 = fit(0, True), fit(0, False)
    return Comparison(Affine(cl0, fit(1, True) - cl0), Affine(fl0, fit(1, False) - fl0))
