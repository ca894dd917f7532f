"""reproduce runs one process per paper (issue 18: studies of a paper share a loaded model) and
still reports each study as it finishes; a worker that dies fails only what it had not finished."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wattlab.reproduce import reproduce

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("WATTLAB_STUDIES", "tests.core.group_studies")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    log = tmp_path / "pids.log"
    monkeypatch.setenv("WATTLAB_TEST_LOG", str(log))
    return log


def test_one_process_per_paper_and_a_dead_worker_fails_only_its_rest(env, tmp_path):
    seen = []
    recs = reproduce(["grp", "other", "dies"], out=tmp_path / "r", jobs=2,
                     on_done=lambda r, c: seen.append(r["id"]))
    pids = dict(line.split() for line in env.read_text().splitlines())
    assert pids["grp.a"] == pids["grp.b"] != pids["other.a"]  # one process per paper
    by = {r["id"]: r for r in recs}
    assert "error" not in by["dies.a"]  # finished before the crash: kept
    assert "worker failed" in by["dies.b"]["error"] and "worker failed" in by["dies.c"]["error"]
    assert "dies.c" not in pids  # never ran: its process had died
    assert sorted(seen) == sorted(by)  # every study reported exactly once
