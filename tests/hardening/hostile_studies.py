"""Studies for the hardening tests, found through WATTLAB_STUDIES."""

from __future__ import annotations

import os
import time
from pathlib import Path

from wattlab.study import Claim, Outcome, RunContext, Study


def _log(name: str) -> None:
    log = os.environ.get("WATTLAB_TEST_LOG")
    if log:
        with Path(log).open("a") as f:
            f.write(name + "\n")


def _quick(ctx: RunContext) -> Outcome:
    _log("hostile.quick")
    k, t = ctx.params.values("phys.boltzmann", "phys.room_temperature")
    return Outcome(value=k * t * 1e21, notes=["<script>alert(1)</script> in a note"],
                   tables={"<b>t</b>": [{"<i>a</i>": "<img src=x onerror=alert(1)>"}]},
                   figures={"fig <one>": b"not-really-a-png"})


def _slow(ctx: RunContext) -> Outcome:
    _log("hostile.slow")
    time.sleep(float(os.environ.get("WATTLAB_TEST_SLEEP", "30")))
    return Outcome(value=4.14)


def _broken(ctx: RunContext) -> Outcome:
    _log("hostile.broken")
    raise RuntimeError("deliberate failure")


_CLAIM = Claim("kT at 300 K is 4.14 zJ", "kT", "zJ", 4.14, rel_tol=0.01)
STUDIES = [
    Study("hostile.a-quick", "A <b>hostile</b> paper", "0000.00002", _CLAIM, _quick, "modelled",
          "thermal only"),
    Study("hostile.b-broken", "A hostile paper", "0000.00002", _CLAIM, _broken, "modelled", "none"),
    Study("hostile.c-slow", "A hostile paper", "0000.00002", _CLAIM, _slow, "modelled", "none"),
]
