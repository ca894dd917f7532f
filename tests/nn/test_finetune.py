"""LoRA/QLoRA: the 4-bit quantiser, adapter injection, and the timed training loop (toy model)."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlab.errors import SpecError
from wattlab.nn.finetune import inject_lora, nf4_levels, quantize_4bit, run_adaptation

torch = pytest.importorskip("torch", reason="fine-tuning needs torch (wattlab[torch])")


class CharTokenizer:
    def __call__(self, text, add_special_tokens=False, verbose=False):  # type: ignore[no-untyped-def]
        return {"input_ids": [ord(c) % 32 for c in text]}


class ToyLM(torch.nn.Module):
    """Embedding, one attention-like and one FFN-like projection set, a head (all 64-multiples)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.emb = torch.nn.Embedding(32, 64)
        self.q_proj = torch.nn.Linear(64, 64, bias=True)
        self.up_proj = torch.nn.Linear(64, 128, bias=False)
        self.down_proj = torch.nn.Linear(128, 64, bias=False)
        self.head = torch.nn.Linear(64, 32)

    def forward(self, ids):  # type: ignore[no-untyped-def]
        h = self.emb(ids)
        h = h + self.q_proj(h)
        return self.head(h + self.down_proj(torch.relu(self.up_proj(h))))


def test_nf4_levels() -> None:
    lv = nf4_levels()
    assert lv.shape == (16,) and np.all(np.diff(lv) > 0)
    assert lv[0] == -1.0 and lv[-1] == 1.0 and 0.0 in lv
    assert (lv > 0).sum() == 8 and (lv < 0).sum() == 7
    gaps = np.diff(lv)
    assert gaps[7] < gaps[0] and gaps[8] < gaps[-1]  # denser near zero, like a normal's mass


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.sampled_from([16, 32, 64]), st.integers(0, 2**31 - 1))
def test_quantize_roundtrip_error_bound(rows: int, block: int, seed: int) -> None:
    w = torch.from_numpy(np.random.default_rng(seed).normal(size=(rows, 2 * block))).float()
    q = quantize_4bit(w, block)
    d = q.dequantize()
    assert d.shape == w.shape and q.nbytes == w.numel() // 2 + 4 * w.numel() // block
    absmax = w.reshape(-1, block).abs().amax(1, keepdim=True)
    half_gap = float(np.diff(nf4_levels()).max()) / 2
    err = (d - w).reshape(-1, block).abs() / absmax
    assert float(err.max()) <= half_gap + 1e-6
    assert torch.allclose(d.reshape(-1, block).abs().amax(1, keepdim=True), absmax)


def test_quantize_is_exact_on_grid_values() -> None:
    lv = torch.tensor(nf4_levels(), dtype=torch.float32)
    w = (lv[torch.arange(128) % 16] * 3.0).reshape(2, 64)
    torch.testing.assert_close(quantize_4bit(w, 64).dequantize(), w)
    with pytest.raises(SpecError, match="block_size"):
        quantize_4bit(torch.randn(3, 10), 64)


@pytest.mark.parametrize("method", ["lora", "qlora"])
def test_inject_lora_starts_as_base_and_trains_only_adapters(method: str) -> None:
    model = ToyLM()
    ids = torch.randint(0, 32, (2, 9))
    ref = model(ids)
    names, stats = inject_lora(model, method, rank=4, alpha=8.0)  # type: ignore[arg-type]
    assert names == ["q_proj", "up_proj", "down_proj"]
    out = model(ids)
    diff = float((out - ref).detach().abs().max())
    if method == "lora":
        torch.testing.assert_close(out, ref)  # B = 0: the adapted model starts as the base
    else:
        assert 0 < diff < 0.5 * float(ref.detach().abs().max())  # 4-bit base
    out.sum().backward()
    trained = {n for n, p in model.named_parameters() if p.grad is not None}
    assert trained == {f"{n}.lora_{x}" for n in names for x in "ab"}
    # 3 forwards + 2 backwards: q_proj's input (the frozen embedding) needs no gradient
    assert stats.calls == (5 if method == "qlora" else 0)


def test_run_adaptation_on_toy_model() -> None:
    entered = []

    @contextmanager
    def meter():  # type: ignore[no-untyped-def]
        entered.append("in")
        yield "reading"
        entered.append("out")

    model = ToyLM()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    text = ["abcdefghij" * 40]
    runs = {m: run_adaptation(m, steps=25, seq_len=16, batch=4, lr=3e-2, meter=meter,  # type: ignore[arg-type]
                              model=model, tokenizer=CharTokenizer(), texts=text, rank=4,
                              rng=np.random.default_rng(1))
            for m in ("lora", "qlora")}
    for method, r in runs.items():
        assert r.tokens == 25 * 4 * 16 and len(r.step_s) == len(r.losses) == 25
        assert r.meter == "reading" and r.mean_step_s > 0
        assert np.mean(r.losses[-5:]) < 0.7 * np.mean(r.losses[:5])  # a periodic text is learnable
        assert (r.dequant_calls > 0) == (method == "qlora")
    assert runs["qlora"].base_bytes < runs["lora"].base_bytes / 6
    assert entered == ["in", "out", "in", "out"]
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])  # the given model is copied, not changed


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"method": "adapter"}, "method"),
    ({"steps": 0}, "steps"),
    ({"seq_len": 1}, "seq_len"),
    ({"lr": -1.0}, "lr"),
    ({"seq_len": 1000}, "fewer than"),
])
def test_run_adaptation_errors(kwargs: dict, match: str) -> None:
    args = {"method": "lora", "steps": 1, "seq_len": 8, "batch": 1, "warmup": 0,
            "model": ToyLM(), "tokenizer": CharTokenizer(), "texts": ["abcdefghij" * 20]}
    with pytest.raises(SpecError, match=match):
        run_adaptation(**{**args, **kwargs})
    with pytest.raises(SpecError, match=r"no nn\.Linear"):
        inject_lora(torch.nn.Sequential(torch.nn.Linear(64, 64)), "lora")
