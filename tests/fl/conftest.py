"""Shared fixtures: a small standardised fleet and the default energy model."""

from __future__ import annotations

import numpy as np
import pytest

from wattlab.params import Registry, default_registry
from wattlab.systems.fl import EnergyModel, FleetData, RailSpec, generate_fleet, standardise


@pytest.fixture(scope="session")
def params() -> Registry:
    return default_registry()


@pytest.fixture(scope="session")
def fleet(params: Registry) -> FleetData:
    spec = RailSpec(n_clients=10, samples_per_client=60)
    return standardise(generate_fleet(spec, params, np.random.default_rng(11)))


@pytest.fixture(scope="session")
def energy(params: Registry) -> EnergyModel:
    return EnergyModel.default(params, "lte")
