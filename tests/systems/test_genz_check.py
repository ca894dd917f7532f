"""MemExplorer's LLM roofline against GenZ (optional: pip install genz-llm)."""

from __future__ import annotations

import pytest

from wattlab.params import default_registry


def test_decode_bytes_agree_with_genz() -> None:
    pytest.importorskip("GenZ", reason="pip install genz-llm")
    from wattlab.systems.memexplorer.genz_check import compare

    rows = {(r["phase"], r["quantity"]): r["ratio"] for r in compare("llama-3.2-1b", default_registry())}
    assert rows[("decode", "bytes")] == pytest.approx(1.0, abs=0.1)
    assert rows[("decode", "latency_s")] == pytest.approx(1.0, abs=0.15)
    assert rows[("prefill", "bytes")] < 1  # wattlab keeps activations on chip, GenZ does not
