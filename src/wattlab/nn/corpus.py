"""A small, fixed evaluation corpus from text every Python install has: ``pydoc_data.topics``.

The CPython documentation topics (79 entries, ~465 kB of English technical prose on Python
3.11) are sorted by key; the split is fixed: topic number ``i`` in that order (0-based) goes to
``"eval"`` when ``i % every == 0`` and to ``"train"`` otherwise (``every = 5`` by default gives
16 eval and 63 train topics on 3.11). No download, no randomness. The text differs between
Python versions, so results carry ``fingerprint()`` of the texts they used.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from wattlab.errors import SpecError

Split = Literal["train", "eval", "all"]
DEFAULT_EVERY = 5


def topics() -> list[tuple[str, str]]:
    """All (key, text) pairs of ``pydoc_data.topics``, sorted by key."""
    from pydoc_data.topics import topics as table

    return sorted(table.items())


def load_corpus(split: Split = "eval", *, every: int = DEFAULT_EVERY) -> list[str]:
    """The texts of one split (see the module docstring for the rule)."""
    if split not in ("train", "eval", "all"):
        raise SpecError(f"split must be 'train', 'eval' or 'all', got {split!r}")
    if not isinstance(every, int) or every < 2:
        raise SpecError(f"every must be an integer >= 2 (every k-th topic goes to eval), "
                        f"got {every!r}")
    items = topics()
    if split == "all":
        return [text for _, text in items]
    want_eval = split == "eval"
    return [text for i, (_, text) in enumerate(items) if (i % every == 0) == want_eval]


def fingerprint(texts: list[str]) -> str:
    """A short SHA-256 of the texts (order-sensitive), to record which corpus a result used."""
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]
