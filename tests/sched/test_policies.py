"""Policy semantics: FCFS order, EASY reservations, EcoSched choices, NUMA placement, ageing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.systems.sched import (
    Cluster,
    EASYBackfill,
    EcoSched,
    FCFSExclusive,
    FCFSRequested,
    Interference,
    Job,
    NodeSpec,
    Scaling,
    simulate,
    synthetic,
)


def test_fcfs_never_reorders() -> None:
    c = Cluster.build(2, "h100")
    jobs = synthetic(200, c, np.random.default_rng(2))
    res = simulate(jobs, c, FCFSRequested(), interference=Interference(0.1, 0.02, 0.05))
    order = np.argsort([j.submit for j in jobs], kind="stable")
    assert np.all(np.diff(res.start[order]) >= 0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 200), st.floats(1, 300), st.sampled_from([1, 2, 4, 8])),
                min_size=2, max_size=30))
def test_easy_never_delays_the_head_reservation(rows) -> None:
    """With exact estimates and no interference, every reserved head starts by its shadow time."""
    jobs = [Job(str(i), s, r, g) for i, (s, r, g) in enumerate(rows)]
    pol = EASYBackfill()
    pol.record = True
    res = simulate(jobs, Cluster.build(2, "a100"), pol)
    idx = {id(j): k for k, j in enumerate(jobs)}
    for head, _, shadow in pol.reservations:
        assert res.start[idx[id(head)]] <= shadow + 1e-6


def test_easy_backfills_and_beats_fcfs_on_makespan() -> None:
    c = Cluster.build(1, "h100")
    jobs = [Job("long", 0.0, 100.0, 6), Job("wide", 1.0, 10.0, 8), Job("small", 2.0, 50.0, 2)]
    f = simulate(jobs, c, FCFSRequested())
    e = simulate(jobs, c, EASYBackfill())
    assert f.start[2] == pytest.approx(110.0)
    assert e.start[2] == pytest.approx(2.0)  # ends at 52 <= shadow 100: backfilled
    assert e.start[1] == pytest.approx(100.0)  # the head is not delayed
    assert e.makespan_s < f.makespan_s


def test_ecosched_weight_one_single_job_picks_min_energy() -> None:
    reg = default_registry()
    idle, tdp = reg.values("dev.h100.idle_power", "dev.h100.tdp")
    # a super-linear range (table) so the energy optimum is not simply g = 1
    s = Scaling.table([1, 2, 4, 8], [1.0, 2.3, 4.2, 5.0], [0.8, 0.8, 0.75, 0.6])
    job = Job("j", 0.0, 1000.0, 1, scaling=s)
    c = Cluster.build(1, "h100")
    pol = EcoSched(weight=1.0, profile_noise=0.0, profile_slice=0.0)
    res = simulate([job], c, pol)
    energy = {g: g * s.f(g) * (idle + (tdp - idle) * s.u(g)) for g in (1, 2, 4, 8)}
    assert res.gpus[0] == min(energy, key=energy.__getitem__) == 2


def test_ecosched_equals_exclusive_energy_with_linear_scaling_and_no_idle_power() -> None:
    c = Cluster((NodeSpec(8, 2, "ideal", 0.0, 300.0),) * 2)
    lin = Scaling.amdahl(1.0, 0.0, 0.7, 0.0)
    rng = np.random.default_rng(4)
    jobs = [Job(str(i), float(t), float(r), int(g), scaling=lin)
            for i, (t, r, g) in enumerate(zip(rng.uniform(0, 1e4, 60), rng.uniform(10, 3600, 60),
                                              rng.choice([1, 2, 4, 8], 60), strict=True))]
    ex = simulate(jobs, c, FCFSExclusive())
    eco = simulate(jobs, c, EcoSched(profile_slice=0.0, profile_noise=0.0))
    assert eco.energy_j == pytest.approx(ex.energy_j, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ecosched_saves_energy_against_fcfs_requested(seed) -> None:
    """Direction only (not the paper's magnitude), on the registry's assumed workload mix."""
    c = Cluster.build(2, "a100")
    jobs = synthetic(150, c, np.random.default_rng(seed))
    itf = Interference.from_params()
    f = simulate(jobs, c, FCFSRequested(), interference=itf)
    e = simulate(jobs, c, EcoSched.from_params(), interference=itf, rng=np.random.default_rng(seed))
    assert e.energy_j < f.energy_j


def test_numa_placement() -> None:
    c = Cluster.build(1, "h100", gpus=8, domains=2)
    jobs = [Job("a", 0.0, 100.0, 2), Job("b", 0.0, 100.0, 2), Job("c", 0.0, 100.0, 4)]
    first = simulate(jobs, c, FCFSRequested("first"))
    numa = simulate(jobs, c, FCFSRequested("numa"))
    assert first.placements[:2] == [(0, 1), (2, 3)]  # packed into domain 0
    assert numa.placements[0] == (0, 1) and numa.placements[1] == (4, 5)  # apart
    assert set(first.placements[2]) == {4, 5, 6, 7}
    assert set(numa.placements[2]) == {2, 3, 6, 7}  # no whole domain left: spans two


def test_ecosched_ages_a_rigid_wide_job_in() -> None:
    """A rigid 8-GPU job behind a stream of small jobs still runs (ageing drains the node)."""
    c = Cluster.build(1, "h100")
    small = [Job(f"s{i}", float(i * 50), 600.0, 1, app="s") for i in range(200)]
    wide = Job("wide", 10.0, 100.0, 8, app="w", moldable=False)
    pol = EcoSched(aging_time=1800.0, profile_noise=0.0)
    res = simulate([wide, *small], c, pol)
    res.check()
    assert res.start[0] - 10.0 < 1800.0 + 600.0 + 1e-6
    assert res.start[0] < max(res.start[1:])


def test_ecosched_from_params_reads_the_registry() -> None:
    pol = EcoSched.from_params()
    reg = default_registry()
    assert pol.weight == reg.value("ecosched.score_weight")
    assert pol.window == round(reg.value("ecosched.window"))
    assert set(pol.sources) >= {"ecosched.score_weight", "ecosched.aging_time"}
    assert EcoSched.from_params(weight=0.2).weight == 0.2
    with pytest.raises(SpecError, match="weight"):
        EcoSched(weight=1.5)


def test_ecosched_joint_choice_splits_a_node_between_two_jobs() -> None:
    """Two well-scaling jobs and one free node: the joint (pair) choice runs both on 4 GPUs, each
    in its own NUMA domain; choosing one job at a time gives the first all 8 GPUs."""
    c = Cluster.build(1, "h100")
    s = Scaling.amdahl(0.97, 0.0, 0.8, 0.3)
    jobs = [Job("a", 0.0, 3600.0, 1, app="x", scaling=s), Job("b", 0.0, 3600.0, 1, app="y", scaling=s)]
    joint = simulate(jobs, c, EcoSched(joint=True, profile_noise=0.0, profile_slice=0.0))
    single = simulate(jobs, c, EcoSched(joint=False, profile_noise=0.0, profile_slice=0.0))
    assert list(joint.gpus) == [4, 4] and list(joint.start) == [0.0, 0.0]
    assert joint.placements == [(0, 1, 2, 3), (4, 5, 6, 7)]
    assert list(single.gpus) == [8, 8] and single.start[1] > 0
    assert joint.energy_j < single.energy_j and joint.makespan_s < single.makespan_s


def test_exclusive_keeps_a_node_for_a_rigid_job() -> None:
    c = Cluster.build(1, "h100")
    jobs = [Job("r", 0.0, 100.0, 2, moldable=False), Job("m", 1.0, 100.0, 1)]
    res = simulate(jobs, c, FCFSExclusive())
    assert list(res.gpus) == [2, 8]
    assert res.start[1] == pytest.approx(100.0)  # the node was not shared
