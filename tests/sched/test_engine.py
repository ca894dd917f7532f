"""The discrete-event engine: ledger, exclusivity of GPUs, determinism, hand-checked energy."""

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
    Scheduler,
    SimView,
    simulate,
    synthetic,
)

POLICIES = [FCFSExclusive, FCFSRequested, EASYBackfill, lambda: EcoSched(profile_noise=0.1)]


def _no_overlap(res) -> None:
    """No GPU is held by two jobs at once."""
    by_node: dict[int, list[int]] = {}
    for k in np.flatnonzero(res.finished):
        by_node.setdefault(int(res.node[k]), []).append(int(k))
    for ks in by_node.values():
        ks.sort(key=lambda k: res.start[k])
        for a_i, a in enumerate(ks):
            for b in ks[a_i + 1:]:
                if res.start[b] >= res.end[a] or res.start[a] >= res.end[b]:
                    continue  # disjoint (zero-length jobs overlap nothing)
                assert not set(res.placements[a]) & set(res.placements[b]), (a, b)


def test_one_job_energy_by_hand() -> None:
    reg = default_registry()
    c = Cluster.build(1, "a100", gpus=4, domains=2)
    idle, tdp = reg.values("dev.a100.idle_power", "dev.a100.tdp")
    s = Scaling.amdahl(0.9, 0.0, 0.8, 0.0, max_gpus=4)
    job = Job("j", 0.0, 100.0, 2, scaling=s)
    res = simulate([job], c, FCFSRequested())
    u = s.u(2)
    expect = 2 * (idle + (tdp - idle) * u) * 100.0 + 2 * idle * 100.0
    assert res.energy_j == pytest.approx(expect, rel=1e-12)
    assert res.makespan_s == pytest.approx(100.0)
    assert res.utilisation == pytest.approx(0.5)
    assert res.edp == pytest.approx(expect * 100.0)
    res.check()


def test_exclusive_uses_the_scaling_curve() -> None:
    s = Scaling.amdahl(0.5, max_gpus=8)
    res = simulate([Job("j", 0.0, 100.0, 1, scaling=s)], Cluster.build(1, "h100"), FCFSExclusive())
    assert res.gpus[0] == 8
    assert res.end[0] == pytest.approx(100.0 * (0.5 + 0.5 / 8))


@pytest.mark.parametrize("make", POLICIES)
@pytest.mark.parametrize("itf", [Interference(), Interference(0.2, 0.05, 0.1)])
def test_ledger_balances_and_gpus_are_exclusive(make, itf) -> None:
    rng = np.random.default_rng(3)
    c = Cluster.mixed([(2, "h100", 8, 2), (1, "v100", 4, 2)])
    jobs = synthetic(150, c, rng)
    res = simulate(jobs, c, make(), interference=itf, rng=np.random.default_rng(1))
    res.check()
    lg = res.ledger()
    assert lg["finished"] == 150 and lg["stuck"] == 0
    assert abs(lg["energy_gap_rel"]) < 1e-9
    _no_overlap(res)
    # integrated power timeline equals the energy
    t, p = res.timeline_t, res.timeline_power_w
    assert float(np.sum(p[:-1] * np.diff(t))) == pytest.approx(res.energy_j, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 500), st.floats(0, 300), st.sampled_from([1, 2, 3, 4, 8, 9])),
                min_size=1, max_size=25),
       st.sampled_from(range(len(POLICIES))))
def test_ledger_property(rows, which) -> None:
    jobs = [Job(str(i), s, r, g, app=f"a{i % 3}", scaling=Scaling.amdahl(0.8, 0.01, 0.7, 0.2))
            for i, (s, r, g) in enumerate(rows)]
    c = Cluster.build(2, "a100", gpus=8, domains=2)
    res = simulate(jobs, c, POLICIES[which](), interference=Interference(0.1, 0.02, 0.05))
    res.check()
    assert len(res.unrunnable) == sum(g > 8 for _, _, g in rows)
    _no_overlap(res)


def test_job_larger_than_any_node_is_reported_not_dropped() -> None:
    jobs = [Job("a", 0.0, 10.0, 2), Job("big", 0.0, 10.0, 16, row="t.csv row 3")]
    res = simulate(jobs, Cluster.build(1, "h100"), FCFSRequested())
    assert [u.job.id for u in res.unrunnable] == ["big"]
    assert "t.csv row 3" in res.unrunnable[0].reason and "16 GPUs" in res.unrunnable[0].reason
    assert res.ledger()["submitted"] == 2 and res.ledger()["job_gap"] == 0
    assert res.sacct()[1]["State"] == "PENDING"


def test_deterministic_for_a_seed() -> None:
    c = Cluster.build(2, "h100")
    jobs = synthetic(120, c, np.random.default_rng(5))
    runs = [simulate(jobs, c, EcoSched(profile_noise=0.2), interference=Interference(0.1, 0.02, 0.05),
                     rng=np.random.default_rng(9)) for _ in range(2)]
    assert np.array_equal(runs[0].start, runs[1].start) and runs[0].energy_j == runs[1].energy_j
    other = simulate(jobs, c, EcoSched(profile_noise=0.2), interference=Interference(0.1, 0.02, 0.05),
                     rng=np.random.default_rng(10))
    assert not np.array_equal(runs[0].gpus, other.gpus) or other.energy_j != runs[0].energy_j


def test_interference_slows_co_runners_only_while_they_share() -> None:
    c = Cluster((NodeSpec(4, 1, "x", 0.0, 100.0),))
    jobs = [Job("a", 0.0, 100.0, 1), Job("b", 0.0, 50.0, 1)]
    res = simulate(jobs, c, FCFSRequested(), interference=Interference(same=1.0))
    # both at half speed until b ends at 100 s; a then has 50 s of work left at full speed
    assert res.end[1] == pytest.approx(100.0)
    assert res.end[0] == pytest.approx(150.0)
    res.check()


def test_user_scheduler_and_stuck_jobs() -> None:
    class LIFO(Scheduler):
        name = "lifo"

        def schedule(self, view: SimView) -> None:
            for job in reversed(view.waiting()):
                view.start(job)

    class Never(Scheduler):
        def schedule(self, view: SimView) -> None:
            pass

    c = Cluster.build(1, "h100")
    jobs = [Job(str(i), 0.0, 10.0, 8) for i in range(3)]
    res = simulate(jobs, c, LIFO())
    assert list(np.argsort(res.start)) == [2, 1, 0]
    stuck = simulate(jobs, c, Never())
    assert len(stuck.stuck) == 3 and stuck.ledger()["job_gap"] == 0 and stuck.energy_j == 0


def test_bad_scheduler_calls_are_errors() -> None:
    class Twice(Scheduler):
        def schedule(self, view: SimView) -> None:
            job = view.waiting()[0]
            view.start(job, 1)
            view.start(job, 1)

    with pytest.raises(SpecError, match="not queued"):
        simulate([Job("a", 0.0, 1.0, 1)], Cluster.build(1, "h100"), Twice())
    with pytest.raises(SpecError, match="Scheduler"):
        simulate([], Cluster.build(1, "h100"), object())  # type: ignore[arg-type]


def test_bad_specs() -> None:
    with pytest.raises(SpecError, match="duration"):
        Job("a", 0.0, -1.0, 1, row="x.csv row 4")
    with pytest.raises(SpecError, match=r"x\.csv row 4"):
        Job("a", 0.0, -1.0, 1, row="x.csv row 4")
    with pytest.raises(SpecError, match="NUMA"):
        Cluster.build(1, "h100", gpus=6, domains=4)
    with pytest.raises(SpecError, match="unknown device 'h999'"):
        Cluster.build(1, "h999")
    with pytest.raises(SpecError):
        Scaling.amdahl(1.5)


def test_v100_is_in_the_catalogue() -> None:
    reg = default_registry()
    a100 = {k.split(".", 2)[2] for k in reg if k.startswith("dev.a100.")}
    v100 = {k.split(".", 2)[2] for k in reg if k.startswith("dev.v100.")}
    # Volta has no TF32, BF16 or INT4 tensor-core modes; every other A100 field exists
    assert a100 - v100 == {"peak_tf32", "peak_bf16", "peak_int4"}
    assert v100 <= a100
    for k in v100:
        assert reg[f"dev.v100.{k}"].source.url
    c = Cluster.build(1, "v100")
    assert c.nodes[0].tdp_w == 300 and c.nodes[0].idle_w == reg.value("dev.v100.idle_power")


def test_empty_trace_and_unit_errors() -> None:
    res = simulate([], Cluster.build(1, "h100"), EcoSched())
    res.check()
    assert res.energy_j == 0 and res.makespan_s == 0 and res.edp == 0
    with pytest.raises(SpecError, match="time unit"):
        Job("ms", 0.0, 3.6e12, 1, row="t.csv row 9")  # milliseconds read as seconds
