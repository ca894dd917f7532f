"""Studies for testing the runner: found through the WATTLAB_STUDIES environment variable."""

from __future__ import annotations

import os
from pathlib import Path

from wattlab.cost import Cost
from wattlab.study import Claim, Outcome, RunContext, Study


def _log(name: str) -> None:
    log = os.environ.get("WATTLAB_TEST_LOG")
    if log:
        with Path(log).open("a") as f:
            f.write(name + "\n")


def _kt(ctx: RunContext) -> Outcome:
    _log("fake.kt")
    k, t = ctx.params.values("phys.boltzmann", "phys.room_temperature")
    noise = float(ctx.rng.normal(0.0, 1e-6))
    cost = Cost({"thermal": k * t}, latency_s=1.0, counts={"ops": 1.0},
                sources=ctx.params.subset("phys.boltzmann"))
    return Outcome(value=k * t * 1e21 * (1 + noise), notes=["kT at the registry temperature"],
                   tables={"t": [{"a": 1, "b": 2.5}]}, costs={"kT": cost})


def _kt_modelled(ctx: RunContext) -> float:
    """The cheap path for the sensitivity pass (not logged: only full runs are)."""
    k, t = ctx.params.values("phys.boltzmann", "phys.room_temperature")
    return k * t * 1e21


def _broken(ctx: RunContext) -> Outcome:
    _log("fake.broken")
    raise RuntimeError("deliberate failure")


def _unchecked(ctx: RunContext) -> Outcome:
    _log("fake.unchecked")
    return Outcome(value=None, needs="a GPU with an energy counter")


_CLAIM = Claim("kT at 300 K is 4.14 zJ", "kT", "zJ", 4.14, rel_tol=0.01)
STUDIES = [
    Study("fake.kt", "A fake paper", "0000.00001", _CLAIM, _kt, "modelled", "thermal only",
          inputs_from_paper=("T",), modelled=_kt_modelled),
    Study("fake.broken", "A fake paper", "0000.00001", _CLAIM, _broken, "modelled", "none"),
    Study("fake.unchecked", "A fake paper", "0000.00001", _CLAIM, _unchecked, "measured", "GPU"),
]
