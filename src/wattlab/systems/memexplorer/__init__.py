"""MemExplorer (arXiv 2604.16007): heterogeneous memory design space for agentic-inference NPUs.

:class:`NpuModel` is the vectorised prefill/decode evaluator; :func:`memory_space` declares the
default design space on :mod:`wattlab.explore`; :func:`explore_phase` searches one phase under a
power cap (prefill, iso-power) or a throughput floor (decode, iso-throughput).
"""

from wattlab.systems.memexplorer.model import (
    CONFIG_COLUMNS,
    NpuModel,
    Trace,
    baseline_config,
    evaluate_one,
    h100_point,
    memory_table,
    npu_cost,
)
from wattlab.systems.memexplorer.search import PhaseResult, explore_phase, memory_space

__all__ = ["CONFIG_COLUMNS", "NpuModel", "PhaseResult", "Trace", "baseline_config", "evaluate_one",
           "explore_phase", "h100_point", "memory_space", "memory_table", "npu_cost"]
