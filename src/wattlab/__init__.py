"""wattlab: an energy-efficiency lab for AI/ML, edge to cloud, photonics to spikes.

The curated public API. Heavy parts (torch, flwr, ray) are imported lazily by the modules
that need them, so ``import wattlab`` stays fast.
"""

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

__version__ = "0.1.0"

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
    "__version__",
    "all_studies",
    "default_registry",
    "format_si",
    "load_registry",
    "meter",
    "parse_quantity",
    "reproduce",
]
