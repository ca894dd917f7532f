"""The SimPy FCFS of the benchmark gives the same schedule, timeline and energy as the engine."""

from __future__ import annotations

import numpy as np
import pytest

from wattlab.systems.sched import Cluster, FCFSRequested, simulate, synthetic


def test_simpy_fcfs_matches_the_engine() -> None:
    pytest.importorskip("simpy", reason="simpy is a benchmark-only dependency (wattlab[sched])")
    from benchmarks.bench_sched import simpy_fcfs

    c = Cluster.build(3, "a100")
    jobs = synthetic(400, c, np.random.default_rng(7), load=1.2)
    ours = simulate(jobs, c, FCFSRequested())
    ref = simpy_fcfs(jobs, c)
    assert np.allclose(ours.start, ref["start"], rtol=0, atol=1e-6)
    assert np.array_equal(ours.node, ref["node"])
    assert ours.energy_j == pytest.approx(ref["energy_j"], rel=1e-9)
    assert ref["integrated_j"] == pytest.approx(ref["energy_j"], rel=1e-9)
    assert np.allclose(ours.timeline_power_w, ref["timeline_power_w"])
