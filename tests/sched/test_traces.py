"""Trace readers, bad input naming the row, the synthetic generator and the shipped sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.params import default_registry
from wattlab.systems.sched import (
    SAMPLE,
    Cluster,
    FCFSRequested,
    attach_profiles,
    read_trace,
    simulate,
    synthetic,
    write_trace,
)

SWF = """; Version: 2.2
; Computer: toy
1 0 5 100 4 -1 -1 4 200 -1 1 1 1 7 1 -1 -1 -1
2 10 0 50 -1 -1 -1 2 -1 -1 1 2 1 -1 1 -1 -1 -1
3 20 0 30 -1 -1 -1 -1 -1 -1 1 2 1 -1 1 -1 -1 -1
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_swf(tmp_path: Path) -> None:
    tr = read_trace(_write(tmp_path, "t.swf", SWF))
    assert [j.gpus for j in tr.jobs] == [4, 2]
    assert tr.jobs[0].estimate == 200 and tr.jobs[0].app == "exe7" and tr.jobs[1].app == "user2"
    assert tr.skipped and "line 5" in tr.skipped[0][0]
    half = read_trace(_write(tmp_path, "h.swf", SWF), procs_per_gpu=2)
    assert [j.gpus for j in half.jobs] == [2, 1]


def test_swf_bad_rows(tmp_path: Path) -> None:
    bad = SWF.replace("2 10 0 50", "2 10 0 -1")
    with pytest.raises(SpecError, match=r"line 4.*run time"):
        read_trace(_write(tmp_path, "b.swf", bad))
    neg = SWF.replace("2 10 0 50", "2 10 0 -7")
    with pytest.raises(SpecError, match=r"line 4.*negative duration"):
        read_trace(_write(tmp_path, "n.swf", neg))
    with pytest.raises(SpecError, match="18 fields"):
        read_trace(_write(tmp_path, "s.swf", "1 2 3\n"))


def test_pai_headerless_and_with_header(tmp_path: Path) -> None:
    rows = ("j1,worker,2,Terminated,100,400,600,29,50,V100\n"
            "j2,ps,1,Terminated,150,250,100,10,,\n"
            "j3,tf,1,Running,200,,600,29,100,T4\n")
    with pytest.raises(SpecError, match=r"row 3.*no start_time or end_time"):
        read_trace(_write(tmp_path, "pai.csv", rows), "pai")
    tr = read_trace(_write(tmp_path, "pai.csv", rows), "pai", incomplete="skip")
    assert len(tr.jobs) == 1 and tr.jobs[0].gpus == 1 and tr.jobs[0].runtime == 300
    assert {r for r, _ in tr.skipped} == {"pai.csv row 2", "pai.csv row 3"}
    header = ("job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,"
              "gpu_type\n")
    tr2 = read_trace(_write(tmp_path, "pai2.csv", header + rows), "pai", incomplete="skip")
    assert tr2.jobs[0].row == "pai2.csv row 2"


def test_helios_and_philly(tmp_path: Path) -> None:
    helios = ("job_id,user,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration\n"
              "a,u1,8,64,1,COMPLETED,2020-04-01 00:00:00,2020-04-01 00:01:00,2020-04-01 01:01:00,3600\n"
              "b,u2,0,4,1,COMPLETED,2020-04-01 00:00:30,2020-04-01 00:00:30,2020-04-01 00:10:30,600\n"
              "c,u1,2,8,1,COMPLETED,2020-04-01 00:02:00,2020-04-01 00:02:00,2020-04-01 00:03:00,\n")
    tr = read_trace(_write(tmp_path, "h.csv", helios), "helios")
    assert [j.id for j in tr.jobs] == ["a", "c"] and tr.jobs[1].runtime == 60
    assert tr.jobs[0].submit == 0 and tr.jobs[1].submit == 120
    assert tr.skipped[0][0] == "h.csv row 3" and "no GPU" in tr.skipped[0][1]
    philly = ("jobid,user,vc,submitted_time,num_gpus,run_time,status\n"
              "p1,u,vc1,100,4,500,Pass\np2,u,vc1,160,1,20,Pass\n")
    tp = read_trace(_write(tmp_path, "p.csv", philly), "philly")
    assert [j.gpus for j in tp.jobs] == [4, 1] and tp.jobs[1].submit == 60
    # a Philly table with Helios column names reads as either layout
    as_helios = read_trace(tmp_path / "h.csv", "philly")
    assert [j.id for j in as_helios.jobs] == ["a", "c"]


def test_missing_columns_and_mapping(tmp_path: Path) -> None:
    text = "jid,user,submitted_time,gpus,run_time\nx,u,0,2,100\n"
    with pytest.raises(SpecError, match=r"needs column\(s\) jobid, num_gpus.*columns="):
        read_trace(_write(tmp_path, "p.csv", text), "philly")
    tr = read_trace(tmp_path / "p.csv", "philly", columns={"jobid": "jid", "num_gpus": "gpus"})
    assert tr.jobs[0].gpus == 2
    with pytest.raises(SpecError, match="duration"):
        read_trace(_write(tmp_path, "q.csv", "jobid,submitted_time,num_gpus\nx,0,1\n"), "philly")
    with pytest.raises(SpecError, match="unknown trace layout"):
        read_trace(tmp_path / "p.csv", "slurm")
    with pytest.raises(SpecError, match="does not exist"):
        read_trace(tmp_path / "nope.csv")


def test_negative_duration_names_the_row(tmp_path: Path) -> None:
    text = "jobid,submitted_time,num_gpus,start_time,end_time\nx,0,1,10,20\ny,5,1,50,40\n"
    with pytest.raises(SpecError, match=r"p.csv row 3: job 'y' has a negative duration"):
        read_trace(_write(tmp_path, "p.csv", text), "philly")
    w = "job_id,submit_s,runtime_s,gpus\na,0,10,1\nb,1,-4,1\n"
    with pytest.raises(SpecError, match=r"w.csv row 3"):
        read_trace(_write(tmp_path, "w.csv", w))
    nan = "job_id,submit_s,runtime_s,gpus\na,0,ten,1\n"
    with pytest.raises(SpecError, match=r"row 2: column 'runtime_s'"):
        read_trace(_write(tmp_path, "n.csv", nan))


def test_job_larger_than_the_cluster_is_reported(tmp_path: Path) -> None:
    text = "job_id,submit_s,runtime_s,gpus\na,0,10,1\nhuge,1,10,64\n"
    tr = read_trace(_write(tmp_path, "w.csv", text))
    res = simulate(tr.jobs, Cluster.build(2, "h100"), FCFSRequested())
    assert len(res.unrunnable) == 1 and "w.csv row 3" in res.unrunnable[0].reason
    assert res.ledger()["submitted"] == 2


def test_sample_ships_and_roundtrips(tmp_path: Path) -> None:
    tr = read_trace(SAMPLE)
    assert len(tr.jobs) == 200 and all(j.scaling is not None for j in tr.jobs)
    out = tmp_path / "again.csv"
    write_trace(tr.jobs, out)
    again = read_trace(out)
    a, b = tr.jobs[7], again.jobs[7]
    assert a.runtime == pytest.approx(b.runtime) and a.gpus == b.gpus
    assert a.curve.f(8) == pytest.approx(b.curve.f(8), rel=1e-4)
    assert a.curve.u(4) == pytest.approx(b.curve.u(4), rel=1e-4)


def test_sample_matches_the_generator() -> None:
    """The shipped sample is exactly what its header's command regenerates."""
    c = Cluster.build(2, "h100")
    jobs = synthetic(200, c, np.random.default_rng(0))
    tr = read_trace(SAMPLE)
    assert [j.gpus for j in jobs] == [j.gpus for j in tr.jobs]
    assert np.allclose([j.runtime for j in jobs], [j.runtime for j in tr.jobs], atol=1e-3)


def test_synthetic_follows_the_assumptions() -> None:
    reg = default_registry()
    c = Cluster.build(4, "h100")
    jobs = synthetic(4000, c, np.random.default_rng(1))
    g = np.array([j.gpus for j in jobs])
    assert abs(np.mean(g == 1) - reg.value("ecosched.synth.share_1gpu")) < 0.03
    med = np.median([j.runtime for j in jobs])
    assert med == pytest.approx(reg.value("ecosched.synth.runtime_median"), rel=0.1)
    # offered load over the arrival window
    span = jobs[-1].submit
    load = sum(j.gpus * j.runtime for j in jobs) / span / c.total_gpus
    assert load == pytest.approx(reg.value("ecosched.synth.load"), rel=0.15)
    small = synthetic(100, Cluster.build(1, "v100", gpus=4), np.random.default_rng(1))
    assert max(j.gpus for j in small) <= 4


def test_attach_profiles_is_per_application(tmp_path: Path) -> None:
    tr = read_trace(_write(tmp_path, "t.swf", SWF))
    jobs = attach_profiles(tr.jobs * 1, None, np.random.default_rng(0))
    assert all(j.scaling is not None for j in jobs)
    again = attach_profiles(tr.jobs, None, np.random.default_rng(0))
    assert [j.scaling for j in jobs] == [j.scaling for j in again]
