"""The pydoc_data corpus: fixed, disjoint, complete split."""

from __future__ import annotations

import math

import pytest

from wattlab.errors import SpecError
from wattlab.nn import fingerprint, load_corpus
from wattlab.nn.corpus import topics


@pytest.mark.parametrize("every", [2, 5, 7])
def test_split_is_a_fixed_partition(every: int) -> None:
    train, ev, everything = (load_corpus(s, every=every) for s in ("train", "eval", "all"))
    n = len(topics())
    assert len(ev) == math.ceil(n / every) and len(train) + len(ev) == n
    assert sorted(train + ev) == sorted(everything)
    assert load_corpus("eval", every=every) == ev  # deterministic
    assert ev[0] == topics()[0][1] and (every >= n or ev[1] == topics()[every][1])


def test_fingerprint_tracks_content_and_order() -> None:
    ev = load_corpus("eval")
    assert fingerprint(ev) == fingerprint(list(ev))
    assert fingerprint(ev) != fingerprint(ev[::-1])
    assert fingerprint(["ab", "c"]) != fingerprint(["a", "bc"])


@pytest.mark.parametrize(("split", "every"), [("test", 5), ("eval", 1), ("eval", 2.5)])
def test_bad_split(split: str, every: int) -> None:
    with pytest.raises(SpecError):
        load_corpus(split, every=every)  # type: ignore[arg-type]
