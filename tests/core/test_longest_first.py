"""reproduce starts the studies that took longest last time first (issue 18: a quick run that is
quick: with 2 workers the run ends soon after its longest study)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from wattlab.reproduce import Cache, last_wall_s, longest_first


def test_longest_first_uses_the_last_wall_times_else_the_declared_ones(tmp_path):
    cache = Cache(tmp_path)
    for sid, wall in (("a", 1.0), ("b", 30.0), ("c", 5.0)):
        (tmp_path / f"{sid}.json").write_text(json.dumps({"key": "old", "record": {"wall_s": wall}}))
    (tmp_path / "bad.json").write_text("{not json")
    studies = [SimpleNamespace(id=i, paper_id=i, expected_s=e)
               for i, e in (("a", 50.0), ("b", 0.0), ("new", 0.0), ("c", 0.0), ("bad", 2.0),
                            ("heavy", 12.0))]
    order = [s.id for s in longest_first(studies, cache)]  # type: ignore[arg-type]
    assert order == ["b", "heavy", "c", "bad", "a", "new"]
    assert last_wall_s(cache, "b") == 30.0 and last_wall_s(cache, "bad") is None


def test_a_paper_runs_together_its_total_deciding_its_place(tmp_path):
    studies = [SimpleNamespace(id=i, paper_id=i[0], expected_s=e)
               for i, e in (("p.x", 4.0), ("q.y", 6.0), ("p.z", 5.0), ("r.w", 0.0))]
    order = [s.id for s in longest_first(studies, Cache(tmp_path))]  # type: ignore[arg-type]
    assert order == ["p.z", "p.x", "q.y", "r.w"]  # p: 9 s in all, before q's 6 s
