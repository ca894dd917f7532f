"""reproduce starts the studies that took longest last time first (issue 18: a quick run that is
quick: with 2 workers the run ends soon after its longest study)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from wattlab.reproduce import Cache, last_wall_s, longest_first


def test_longest_first_uses_the_last_wall_times(tmp_path):
    cache = Cache(tmp_path)
    for sid, wall in (("a", 1.0), ("b", 30.0), ("c", 5.0)):
        (tmp_path / f"{sid}.json").write_text(json.dumps({"key": "old", "record": {"wall_s": wall}}))
    (tmp_path / "bad.json").write_text("{not json")
    studies = [SimpleNamespace(id=i) for i in ("a", "b", "new", "c", "bad")]
    order = [s.id for s in longest_first(studies, cache)]  # type: ignore[arg-type]
    assert order == ["new", "bad", "b", "c", "a"]
    assert last_wall_s(cache, "b") == 30.0 and last_wall_s(cache, "bad") is None
