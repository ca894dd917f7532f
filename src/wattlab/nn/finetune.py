"""Real LoRA and QLoRA-style fine-tuning steps of SmolLM2, timed (and metered) per step.

EDGE-EVAL (arXiv 2604.19342) reports QLoRA taking up to ~7x the adaptation energy of LoRA and
its released logs show the cause is time (7.2x longer runs) rather than power (1.19x). This
module reproduces the mechanism at small scale on CPU:

- ``lora``: the frozen base weights stay float32 (EDGE-EVAL's LoRA used an fp16 base on a T4;
  on CPU float32 is the native fast path); rank-``r`` adapters ``B @ A`` (A Kaiming-uniform,
  B zero, scale ``alpha / r``) on q, k, v, o, gate, up and down projections, as EDGE-EVAL's
  ``r=16, alpha=16`` config. Adapter dropout is 0 (EDGE-EVAL: 0.05) to keep runs deterministic.
- ``qlora``: the same adapters, but the frozen base weights of those projections are stored
  4-bit (``quantize_4bit``: NF4-like codes, absmax scale per block of 64 weights, two codes per
  byte, scales kept float32 — no double quantisation) and dequantised in every forward *and*
  again in every backward, the way a 4-bit matmul that never keeps a full-precision copy must
  (bitsandbytes' behaviour is assumed [I], not read). Embeddings and the tied head stay float32.

No gradient checkpointing in either method. ``run_adaptation`` returns per-step wall times, the
token count, the loss trajectory and the time spent dequantising, and runs the timed steps
inside an optional meter context so that energy can be plugged in.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import cache
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np

from wattlab.errors import SpecError, require

Method = Literal["lora", "qlora"]
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def nf4_levels() -> np.ndarray:
    """16 NF4-like levels in [-1, 1]: quantiles of N(0, 1), 8 positive, 7 negative, and 0.

    The outermost level sits at the probability ``1 - delta`` with ``delta`` halfway between
    1/32 and 1/30 (the two 16- and 15-point grids), so no level is infinite; the grid is then
    scaled so that its extremes are exactly -1 and 1. The published NF4 table may differ in
    the last digits [assumption: built from the construction, not copied].
    """
    from scipy.stats import norm

    top = 1 - 0.5 * (1 / 32 + 1 / 30)
    pos = norm.ppf(np.linspace(top, 0.5, 9)[:-1])
    neg = -norm.ppf(np.linspace(top, 0.5, 8)[:-1])
    levels = np.sort(np.concatenate([neg, [0.0], pos]))
    return levels / np.abs(levels).max()


@dataclass
class DequantStats:
    """How often and for how long 4-bit weights were expanded back to float32."""

    calls: int = 0
    seconds: float = 0.0


@cache
def _torch_parts() -> SimpleNamespace:
    """Torch classes, built on first use so that importing this module never imports torch."""
    torch = require("torch", extra="torch", purpose="LoRA/QLoRA fine-tuning")
    functional = torch.nn.functional

    class Quantized4bit:
        """A frozen weight stored as packed 4-bit codes plus one float32 absmax per block."""

        def __init__(self, weight: Any, block_size: int, stats: DequantStats) -> None:
            if weight.numel() % (2 * block_size):
                raise SpecError(f"weight of shape {tuple(weight.shape)} has {weight.numel()} "
                                f"values, not a multiple of 2 x block_size ({block_size}); pick a "
                                f"block_size that divides the layer sizes")
            self.shape, self.block_size, self.stats = tuple(weight.shape), block_size, stats
            self.levels = torch.tensor(nf4_levels(), dtype=torch.float32, device=weight.device)
            blocks = weight.detach().float().reshape(-1, block_size)
            self.absmax = blocks.abs().amax(dim=1).clamp_min(torch.finfo(torch.float32).tiny)
            mids = (self.levels[1:] + self.levels[:-1]) / 2
            codes = torch.bucketize(blocks / self.absmax[:, None], mids).to(torch.uint8)
            flat = codes.reshape(-1)
            self.packed = flat[0::2] | (flat[1::2] << 4)

        @property
        def nbytes(self) -> int:
            return int(self.packed.numel() + 4 * self.absmax.numel())

        def dequantize(self) -> Any:
            t0 = time.perf_counter()
            codes = torch.stack([self.packed & 0xF, self.packed >> 4], dim=-1).reshape(
                -1, self.block_size)
            w = (self.levels[codes.long()] * self.absmax[:, None]).reshape(self.shape)
            self.stats.calls += 1
            self.stats.seconds += time.perf_counter() - t0
            return w

    function: Any = torch.autograd.Function
    module: Any = torch.nn.Module

    class Dequant4bitLinear(function):
        """x @ W.T with W dequantised in forward and again in backward (no fp32 copy kept)."""

        @staticmethod
        def forward(ctx: Any, x: Any, base: Quantized4bit) -> Any:
            ctx.base = base
            return functional.linear(x, base.dequantize())

        @staticmethod
        def backward(ctx: Any, grad: Any) -> tuple[Any, None]:
            return grad @ ctx.base.dequantize(), None

    class LoRALinear(module):
        """A frozen base projection (float32 or 4-bit) plus a trainable low-rank update."""

        def __init__(self, linear: Any, *, rank: int, alpha: float, quantized: bool,
                     block_size: int, stats: DequantStats, generator: Any) -> None:
            super().__init__()
            self.in_features, self.out_features = linear.in_features, linear.out_features
            self.scale = alpha / rank
            self.bias = None if linear.bias is None else linear.bias.detach().requires_grad_(False)
            self.base4: Quantized4bit | None = None
            if quantized:
                self.base4 = Quantized4bit(linear.weight, block_size, stats)
            else:
                self.register_buffer("weight", linear.weight.detach().float().clone())
            a = torch.empty(rank, self.in_features)
            bound = 1 / math.sqrt(self.in_features)  # kaiming_uniform(a=sqrt(5)) bound
            dev = linear.weight.device  # drawn on the CPU generator, then moved: same on any device
            self.lora_a = torch.nn.Parameter(a.uniform_(-bound, bound, generator=generator).to(dev))
            self.lora_b = torch.nn.Parameter(torch.zeros(self.out_features, rank, device=dev))

        def forward(self, x: Any) -> Any:
            if self.base4 is not None:
                out = Dequant4bitLinear.apply(x, self.base4)
            else:
                out = functional.linear(x, self.weight)
            if self.bias is not None:
                out = out + self.bias
            update = functional.linear(functional.linear(x, self.lora_a), self.lora_b)
            return out + update * self.scale

    return SimpleNamespace(torch=torch, LoRALinear=LoRALinear, Quantized4bit=Quantized4bit)


def quantize_4bit(weight: Any, block_size: int = 64) -> Any:
    """Blockwise NF4-like 4-bit copy of a torch weight; ``.dequantize()`` expands it back."""
    return _torch_parts().Quantized4bit(weight, block_size, DequantStats())


def inject_lora(model: Any, method: Method, *, rank: int = 16, alpha: float = 16.0,
                block_size: int = 64, targets: Sequence[str] = LORA_TARGETS,
                seed: int = 0) -> tuple[list[str], DequantStats]:
    """Freeze ``model`` and replace the Linear layers named ``targets`` by LoRA layers, in place.

    Returns the replaced module names and the dequantisation counters (zero for ``lora``).
    """
    if method not in ("lora", "qlora"):
        raise SpecError(f"method must be 'lora' or 'qlora', got {method!r}")
    if not isinstance(rank, int) or rank < 1:
        raise SpecError(f"rank must be a positive integer, got {rank!r}")
    if not (isinstance(alpha, int | float) and alpha > 0):
        raise SpecError(f"alpha must be a positive number, got {alpha!r}")
    if not isinstance(block_size, int) or block_size < 1:
        raise SpecError(f"block_size must be a positive integer, got {block_size!r}")
    parts = _torch_parts()
    torch = parts.torch
    stats, gen = DequantStats(), torch.Generator().manual_seed(seed)
    model.requires_grad_(False)
    names = [n for n, m in model.named_modules()
             if isinstance(m, torch.nn.Linear) and n.rpartition(".")[2] in targets]
    if not names:
        raise SpecError(f"no nn.Linear named {list(targets)} in {type(model).__name__}; pass the "
                        f"projection names of this architecture as targets=")
    for name in names:
        parent_name, _, attr = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, attr, parts.LoRALinear(
            getattr(parent, attr), rank=rank, alpha=alpha, quantized=method == "qlora",
            block_size=block_size, stats=stats, generator=gen))
    return names, stats


@dataclass(frozen=True)
class AdaptationResult:
    """Timed fine-tuning steps of one method (times in s; ``meter`` is what the meter yielded)."""

    method: Method
    steps: int
    seq_len: int
    batch: int
    tokens: int
    step_s: tuple[float, ...]
    losses: tuple[float, ...]
    trainable_params: int
    base_bytes: int
    dequant_calls: int
    dequant_s: float
    meter: Any = field(default=None, compare=False)

    @property
    def wall_s(self) -> float:
        return math.fsum(self.step_s)

    @property
    def mean_step_s(self) -> float:
        return self.wall_s / self.steps


@dataclass
class TimerReading:
    """The default meter's reading: wall-clock seconds of the metered window."""

    seconds: float = math.nan


@contextmanager
def wall_timer() -> Iterator[TimerReading]:
    """Default meter: times the window, measures no energy."""
    reading, t0 = TimerReading(), time.perf_counter()
    try:
        yield reading
    finally:
        reading.seconds = time.perf_counter() - t0


def _token_stream(tokenizer: Any, texts: Sequence[str]) -> np.ndarray:
    return np.asarray(tokenizer("\n\n".join(texts), add_special_tokens=False,
                                verbose=False)["input_ids"], dtype=np.int64)


def run_adaptation(method: Method, steps: int = 4, seq_len: int = 64, batch: int = 2, *,
                   rank: int = 16, alpha: float = 16.0, lr: float = 2e-4, block_size: int = 64,
                   warmup: int = 1, meter: Callable[[], AbstractContextManager[Any]] | None = None,
                   model: Any = None, tokenizer: Any = None, texts: Sequence[str] | None = None,
                   rng: np.random.Generator | None = None) -> AdaptationResult:
    """Fine-tune a copy of SmolLM2 (or ``model``) with LoRA or QLoRA for ``steps`` timed steps.

    Each step: next-token loss on ``batch`` random windows of ``seq_len + 1`` tokens from
    ``texts`` (default: the corpus' train split), backward through the adapters, one AdamW
    update. ``warmup`` untimed steps run first. The timed steps run inside ``meter()`` (default
    ``wall_timer``); its yielded object comes back as ``result.meter``. The given or cached
    model is deep-copied, never changed.
    """
    for name, value, low in (("steps", steps, 1), ("seq_len", seq_len, 2), ("batch", batch, 1),
                             ("warmup", warmup, 0)):
        if not isinstance(value, int) or value < low:
            raise SpecError(f"{name} must be an integer >= {low}, got {value!r}")
    if not (isinstance(lr, int | float) and lr > 0):
        raise SpecError(f"lr must be a positive number, got {lr!r}")
    torch = _torch_parts().torch
    if model is None or tokenizer is None:
        from wattlab.nn.zoo import load_smollm2

        model, tokenizer = load_smollm2()
    if texts is None:
        from wattlab.nn.corpus import load_corpus

        texts = load_corpus("train")
    stream = _token_stream(tokenizer, texts)
    if stream.size < seq_len + 2:
        raise SpecError(f"texts give {stream.size} tokens, fewer than seq_len + 2 = "
                        f"{seq_len + 2}; pass longer texts or a smaller seq_len")
    rng = np.random.default_rng(0) if rng is None else rng
    work = copy.deepcopy(model).train()
    _, stats = inject_lora(work, method, rank=rank, alpha=alpha, block_size=block_size,
                           seed=int(rng.integers(2**31)))
    params = [p for p in work.parameters() if p.requires_grad]
    device = params[0].device
    opt = torch.optim.AdamW(params, lr=lr)

    def step() -> float:
        starts = rng.integers(0, stream.size - seq_len - 1, size=batch)
        ids = torch.from_numpy(stream[starts[:, None] + np.arange(seq_len + 1)]).to(device)
        out = work(ids[:, :-1])
        logits = getattr(out, "logits", out)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss.detach())

    for _ in range(warmup):
        step()
    stats.calls, stats.seconds = 0, 0.0
    times, losses = [], []
    with (meter or wall_timer)() as reading:
        for _ in range(steps):
            t0 = time.perf_counter()
            losses.append(step())
            times.append(time.perf_counter() - t0)
    lora_layers = [m for m in work.modules() if hasattr(m, "lora_a")]
    base_bytes = sum(m.base4.nbytes if m.base4 is not None else 4 * m.weight.numel()
                     for m in lora_layers)
    return AdaptationResult(
        method=method, steps=steps, seq_len=seq_len, batch=batch, tokens=steps * batch * seq_len,
        step_s=tuple(times), losses=tuple(losses), trainable_params=sum(p.numel() for p in params),
        base_bytes=base_bytes, dequant_calls=stats.calls, dequant_s=stats.seconds, meter=reading)
