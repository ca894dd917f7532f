"""Route every ``nn.Linear`` of a PyTorch model through a substrate and add up what it cost.

``patch(model, substrate)`` swaps each ``nn.Linear`` for a ``SubstrateLinear`` that computes
``x @ W.T (+ bias)`` with ``substrate.matmul`` (see ``wattlab.substrates``) and records the
returned ``Cost`` and the MACs it counted from the shapes on the ``PatchHandle`` it returns::

    with patch(model, substrate) as handle:     # restores the original modules on exit
        logits = model(ids).logits
    handle.cost, handle.macs, handle.layer_cost

    handle = patch(model, lambda name, linear: make_substrate(name))   # one substrate per layer
    handle = patch(model, substrate)            # or without a context: restore() when done
    ...
    handle.restore()

Instead of one substrate, ``patch`` takes a factory ``(name, linear) -> substrate | None``
called once per Linear: each layer then gets its own substrate (e.g. an activation quantiser
calibrated for that layer), and a layer for which it returns ``None`` stays a plain dense
``nn.Linear``. ``handle.substrates`` maps layer names to their substrates.

The wrapper keeps the original ``weight``/``bias`` Parameters under the same names, so the
model's ``state_dict`` keys and tied weights are unchanged while patched. For a NumPy substrate
(``torch_native = False``) the activations and weights are handed over as zero-copy views of the
CPU tensors and the product comes back the same way; that path is inference only (autograd does
not see through NumPy). A ``torch_native`` substrate receives tensors and keeps autograd.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import SpecError, require
from wattlab.substrates import Substrate


@dataclass
class PatchHandle:
    """What the patched Linears cost so far; ``restore()`` (or leaving ``with``) undoes the patch.

    ``cost`` is the sum of the substrate's Costs; ``macs`` counts ``M*K*N`` per product from the
    shapes (independent of the substrate); ``layer_macs`` and ``layer_cost`` split them per module
    name. ``substrate`` is what ``patch`` was given (a substrate or a factory); ``substrates``
    maps each patched layer to the substrate it runs on.
    """

    substrate: Any
    cost: Cost = field(default_factory=Cost)
    macs: int = 0
    calls: int = 0
    layer_macs: dict[str, int] = field(default_factory=dict)
    layer_cost: dict[str, Cost] = field(default_factory=dict)
    substrates: dict[str, Any] = field(default_factory=dict)
    _swapped: list[tuple[Any, str, Any]] = field(default_factory=list, repr=False)

    @property
    def active(self) -> bool:
        return bool(self._swapped)

    def record(self, name: str, macs: int, cost: Cost) -> None:
        self.cost = self.cost + cost
        self.macs += macs
        self.calls += 1
        self.layer_macs[name] = self.layer_macs.get(name, 0) + macs
        self.layer_cost[name] = self.layer_cost.get(name, Cost()) + cost

    def reset(self) -> None:
        """Zero the accumulated cost and counts (the patch stays in place)."""
        self.cost, self.macs, self.calls = Cost(), 0, 0
        self.layer_macs.clear()
        self.layer_cost.clear()

    def restore(self) -> None:
        """Put the original ``nn.Linear`` modules back; calling it twice is harmless."""
        for parent, attr, original in reversed(self._swapped):
            setattr(parent, attr, original)
        self._swapped.clear()

    def __enter__(self) -> PatchHandle:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.restore()


def _wrapper_class() -> type:
    """Build ``SubstrateLinear`` on first use so that importing this module never imports torch."""
    torch = require("torch", extra="torch", purpose="patching a PyTorch model")

    module: Any = torch.nn.Module

    class SubstrateLinear(module):
        """An ``nn.Linear`` stand-in whose product runs on a substrate."""

        def __init__(self, linear: Any, name: str, handle: PatchHandle,
                     rng: np.random.Generator, substrate: Any = None) -> None:
            super().__init__()
            self.weight = linear.weight
            self.bias = linear.bias
            self.in_features, self.out_features = linear.in_features, linear.out_features
            self.layer_name, self.handle, self.rng = name, handle, rng
            self.substrate = handle.substrate if substrate is None else substrate

        def extra_repr(self) -> str:
            return (f"in_features={self.in_features}, out_features={self.out_features}, "
                    f"bias={self.bias is not None}, substrate={self.substrate.name!r}")

        def forward(self, x: Any) -> Any:
            lead = x.shape[:-1]
            x2 = x.reshape(-1, self.in_features)
            if self.substrate.torch_native:
                out, cost = self.substrate.matmul(x2, self.weight.t(), rng=self.rng)
            else:
                a = x2.detach().cpu().numpy()
                b = self.weight.detach().cpu().numpy().T
                out_np, cost = self.substrate.matmul(a, b, rng=self.rng)
                out = torch.from_numpy(np.asarray(out_np)).to(device=x.device, dtype=x.dtype)
            m = x2.shape[0]
            if tuple(out.shape) != (m, self.out_features):
                raise SpecError(f"substrate {self.substrate.name!r} returned shape "
                                f"{tuple(out.shape)} for a ({m}, {self.in_features}) x "
                                f"({self.in_features}, {self.out_features}) product; its matmul "
                                f"must return a[..., K] @ b[K, N]")
            if self.bias is not None:
                out = out + self.bias
            self.handle.record(self.layer_name, m * self.in_features * self.out_features, cost)
            return out.reshape(*lead, self.out_features)

    return SubstrateLinear


_WRAPPER: type | None = None


def substrate_linear_class() -> type:
    """The ``SubstrateLinear`` module class (created once per process)."""
    global _WRAPPER
    if _WRAPPER is None:
        _WRAPPER = _wrapper_class()
    return _WRAPPER


def patch(model: Any, substrate: Any, *, rng: np.random.Generator | None = None) -> PatchHandle:
    """Replace every ``nn.Linear`` in ``model`` by a substrate-backed wrapper; return the handle.

    ``substrate`` is one substrate for all layers, or a factory ``(name, linear) -> substrate |
    None`` called once per Linear (``None`` keeps that layer dense). ``rng`` feeds the
    substrate's noise; by default ``np.random.default_rng(0)``, so repeated runs are
    reproducible. Raises ``SpecError`` for a non-module, a substrate that does not
    satisfy the ``Substrate`` protocol, a model that is already patched, one with no Linear, or
    bfloat16 (or other non-NumPy) weights with a NumPy substrate.
    """
    torch = require("torch", extra="torch", purpose="patching a PyTorch model")
    if not isinstance(model, torch.nn.Module):
        raise SpecError(f"patch() needs a torch.nn.Module, got {type(model).__name__}; "
                        f"pass the model object itself (e.g. the one load_smollm2() returns)")
    factory = not isinstance(substrate, Substrate) and callable(substrate)
    if not factory and not isinstance(substrate, Substrate):
        raise SpecError(f"substrate {substrate!r} does not satisfy wattlab.substrates.Substrate; "
                        f"it needs 'name', 'torch_native', matmul(a, b, *, rng) and cost(gemm) "
                        f"(or pass a factory (name, linear) -> substrate)")
    wrapper = substrate_linear_class()
    found = [(n, m) for n, m in model.named_modules() if isinstance(m, wrapper)]
    if found:
        raise SpecError(f"model is already patched (module {found[0][0]!r}); call restore() on "
                        f"the first handle (or leave its 'with' block) before patching again")
    if isinstance(model, torch.nn.Linear):
        raise SpecError("patch() swaps Linear layers inside a model; wrap a bare nn.Linear in "
                        "torch.nn.Sequential(linear) first")
    targets = [(n, m) for n, m in model.named_modules(remove_duplicate=False)
               if isinstance(m, torch.nn.Linear)]
    label = getattr(substrate, "name", None) or f"factory {getattr(substrate, '__name__', '?')}"
    if not targets:
        raise SpecError(f"{type(model).__name__} has no torch.nn.Linear layer, so there is "
                        f"nothing to route through substrate {label!r}; patch a model "
                        f"that computes with nn.Linear")
    chosen: list[tuple[str, Any, Any]] = []
    for name, linear in targets:
        sub = substrate(name, linear) if factory else substrate
        if sub is None:
            continue
        if not isinstance(sub, Substrate):
            raise SpecError(f"the substrate factory returned {sub!r} for layer {name!r}, which "
                            f"does not satisfy wattlab.substrates.Substrate (or None to keep "
                            f"the layer dense)")
        chosen.append((name, linear, sub))
    if not chosen:
        raise SpecError(f"the substrate factory returned None for all {len(targets)} Linear "
                        f"layers of {type(model).__name__}; nothing was patched")
    numpy_dtypes = (torch.float16, torch.float32, torch.float64)
    for name, linear, sub in chosen:
        if linear.weight.dtype not in numpy_dtypes and not sub.torch_native:
            raise SpecError(f"Linear {name!r} has dtype {linear.weight.dtype}, which NumPy "
                            f"cannot hold, and substrate {sub.name!r} computes with NumPy; "
                            f"convert the model first (model.float()) or use a torch_native "
                            f"substrate")
    handle = PatchHandle(substrate=substrate)
    rng = np.random.default_rng(0) if rng is None else rng
    for name, linear, sub in chosen:
        parent_name, _, attr = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, attr, wrapper(linear, name, handle, rng, sub))
        handle._swapped.append((parent, attr, linear))
        handle.substrates[name] = sub
    return handle


def linear_macs_per_token(model: Any) -> int:
    """Analytic MACs per token of all ``nn.Linear`` layers: sum of in_features × out_features."""
    torch = require("torch", extra="torch", purpose="counting a model's Linear MACs")
    return sum(m.in_features * m.out_features for m in model.modules()
               if isinstance(m, torch.nn.Linear))
