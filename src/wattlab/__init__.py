"""wattlab: an energy-efficiency lab for AI/ML, edge to cloud, photonics to spikes.

The curated public API. Names are imported on first use (PEP 562), so ``import wattlab`` costs
almost nothing and heavy parts (NumPy-based models, torch, flwr, ray) load only when touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "Cost": "wattlab.cost",
    "MissingDependencyError": "wattlab.errors",
    "ParamError": "wattlab.errors",
    "SpecError": "wattlab.errors",
    "StudyError": "wattlab.errors",
    "WattlabError": "wattlab.errors",
    "Reading": "wattlab.measure",
    "meter": "wattlab.measure",
    "Param": "wattlab.params",
    "Registry": "wattlab.params",
    "default_registry": "wattlab.params",
    "load_registry": "wattlab.params",
    "reproduce": "wattlab.reproduce",
    "Claim": "wattlab.study",
    "Outcome": "wattlab.study",
    "RunContext": "wattlab.study",
    "Study": "wattlab.study",
    "all_studies": "wattlab.study",
    "Substrate": "wattlab.substrates",
    "format_si": "wattlab.units",
    "parse_quantity": "wattlab.units",
    "Gemm": "wattlab.workloads.gemm",
}

if TYPE_CHECKING:
    from wattlab.cost import Cost
    from wattlab.errors import (
        MissingDependencyError,
        ParamError,
        SpecError,
        StudyError,
        WattlabError,
    )
    from wattlab.measure import Reading, meter
    from wattlab.params import Param, Registry, default_registry, load_registry
    from wattlab.reproduce import reproduce
    from wattlab.study import Claim, Outcome, RunContext, Study, all_studies
    from wattlab.substrates import Substrate
    from wattlab.units import format_si, parse_quantity
    from wattlab.workloads.gemm import Gemm


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wattlab' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*_EXPORTS, "__version__"])


__all__ = [
    "Claim",
    "Cost",
    "Gemm",
    "MissingDependencyError",
    "Outcome",
    "Param",
    "ParamError",
    "Reading",
    "Registry",
    "RunContext",
    "SpecError",
    "Study",
    "StudyError",
    "Substrate",
    "WattlabError",
    "all_studies",
    "default_registry",
    "format_si",
    "load_registry",
    "meter",
    "parse_quantity",
    "reproduce",
]
