"""reproduce's workers: each gets its share of the cores as its thread limit (two 2-thread PyTorch
pools on 2 cores slow both several-fold), a limit the user set is kept, and a worker sees the
environment as it is when the run starts (issue 18)."""

from __future__ import annotations

import os
import sys
import textwrap

import pytest

from wattlab.reproduce import reproduce

PLUGIN = textwrap.dedent('''
    import os
    from wattlab.study import Claim, Outcome, Study

    def _threads(ctx):
        return Outcome(value=float(os.environ["OMP_NUM_THREADS"]),
                       notes=[os.environ.get("WATTLAB_TEST_MARK", "unset")])

    _C = Claim("threads", "threads", "", 1.0, rel_tol=0.5)
    STUDIES = [Study(f"{p}.threads", p, "0000.00001", _C, _threads, "modelled", "none")
               for p in ("tone", "ttwo", "tthree")]
''')


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    (tmp_path / "threads_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *sys.path]))
    monkeypatch.setenv("WATTLAB_STUDIES", "threads_plugin")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def _run(tmp_path, name):
    recs = reproduce(["tone", "ttwo", "tthree"], out=tmp_path / name, jobs=2)
    return [r["value"] for r in recs], [r["notes"][0] for r in recs]


def test_each_worker_gets_its_share_of_the_cores(plugin, monkeypatch):
    monkeypatch.setenv("WATTLAB_TEST_MARK", "first")
    values, marks = _run(plugin, "a")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert values == [max(1, cores // 2)] * 3
    assert marks == ["first"] * 3
    # the user's own limit wins, and a later run sees the environment as it is then
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setenv("WATTLAB_TEST_MARK", "second")
    values, marks = _run(plugin, "b")
    assert values == [3.0] * 3 and marks == ["second"] * 3


def test_default_jobs_is_one_per_core_within_the_memory(monkeypatch):
    from wattlab import reproduce as rp

    page = 4096
    monkeypatch.setattr(rp, "usable_cores", lambda: 8)
    for gib, jobs in ((64, 8), (6, 3), (1, 1)):
        monkeypatch.setattr(rp.os, "sysconf", lambda name, gib=gib: (
            page if name == "SC_PAGE_SIZE" else gib * 2**30 // page))
        assert rp.default_jobs() == jobs
