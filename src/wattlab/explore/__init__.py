"""Design-space search: typed dimensions, vectorised evaluators, Pareto fronts, sensitivities.

Declare a :class:`Space` of :class:`Grid`, :class:`Range` and :class:`Choice` dimensions (and
configuration :class:`Constraint` predicates), write ``evaluate(cols) -> {metric: array}`` over
NumPy column arrays, and call :func:`search` (grid, random or NSGA-II; process pool or Ray;
checkpoint and resume). :func:`pareto` extracts fronts from any arrays.

Example::

    from wattlab.explore import Space, Grid, Choice, search
    space = Space([Grid("sram_mb", [64, 256, 1024]), Choice("dram", ["hbm3", "lpddr5x"])])
    res = search(space, my_eval, objectives=["min:energy_j", "max:tokens_per_s"],
                 constraints=["power_w <= 300"], checkpoint="runs/npu")
    res.table()            # the Pareto front
    res.sensitivity().text()
"""

from wattlab.explore.pareto import pareto, pareto_mask
from wattlab.explore.search import (
    InfeasibleError,
    Limit,
    Objective,
    SearchResult,
    area_budget,
    iso_throughput,
    power_cap,
    search,
)
from wattlab.explore.sensitivity import Sensitivity, sensitivity
from wattlab.explore.space import Choice, Constraint, Expr, Grid, Range, Space

__all__ = ["Choice", "Constraint", "Expr", "Grid", "InfeasibleError", "Limit", "Objective", "Range",
           "SearchResult", "Sensitivity", "Space", "area_budget", "iso_throughput", "pareto",
           "pareto_mask", "power_cap", "search", "sensitivity"]
