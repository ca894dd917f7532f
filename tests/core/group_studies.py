"""Studies for the one-process-per-paper runner test (found through WATTLAB_STUDIES)."""

from __future__ import annotations

import os
from pathlib import Path

from wattlab.study import Claim, Outcome, RunContext, Study


def _pid(name: str) -> Outcome:
    with Path(os.environ["WATTLAB_TEST_LOG"]).open("a") as f:
        f.write(f"{name} {os.getpid()}\n")
    return Outcome(value=1.0)


def _dies(ctx: RunContext) -> Outcome:
    os._exit(3)  # a worker process that dies mid-paper (like the OOM killer)


_CLAIM = Claim("one", "x", "1", 1.0, rel_tol=0.1)
STUDIES = [
    Study("grp.a", "Paper G", "0000.00002", _CLAIM, lambda c: _pid("grp.a"), "modelled", "none"),
    Study("grp.b", "Paper G", "0000.00002", _CLAIM, lambda c: _pid("grp.b"), "modelled", "none"),
    Study("other.a", "Paper O", "0000.00003", _CLAIM, lambda c: _pid("other.a"), "modelled", "n"),
    Study("dies.a", "Paper D", "0000.00004", _CLAIM, lambda c: _pid("dies.a"), "modelled", "n"),
    Study("dies.b", "Paper D", "0000.00004", _CLAIM, _dies, "modelled", "none"),
    Study("dies.c", "Paper D", "0000.00004", _CLAIM, lambda c: _pid("dies.c"), "modelled", "n"),
]
