"""A small NumPy classifier: softmax regression (``hidden=0``) or a one-hidden-layer ReLU MLP.

Parameters travel as a list of arrays ``[W1, b1, (W2, b2)]``. Training is mini-batch SGD on the
cross-entropy with L2 decay; the batch order comes from the generator passed in, so the same
seed gives the same model in the NumPy FedAvg engine and in the Flower ClientApp.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

import numpy as np

from wattlab.errors import SpecError

Arrays = list[np.ndarray]


@dataclass(frozen=True)
class ModelSpec:
    """Model shape and local optimiser settings."""

    n_features: int
    n_classes: int
    hidden: int = 32
    lr: float = 0.1
    batch: int = 32
    weight_decay: float = 1e-4

    def __post_init__(self) -> None:
        for name in ("n_features", "n_classes", "batch"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise SpecError(f"ModelSpec field '{name}' is {getattr(self, name)!r}; "
                                "use a whole number >= 1")
        if self.hidden < 0:
            raise SpecError(f"ModelSpec field 'hidden' is {self.hidden}; use 0 (softmax "
                            "regression) or a positive width")
        if not self.lr > 0:
            raise SpecError(f"ModelSpec field 'lr' is {self.lr}; the learning rate must be > 0")

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        dims = [self.n_features, *([self.hidden] if self.hidden else []), self.n_classes]
        out: list[tuple[int, ...]] = []
        for a, b in itertools.pairwise(dims):
            out += [(a, b), (b,)]
        return out

    @property
    def n_params(self) -> int:
        return int(sum(np.prod(s) for s in self.shapes))

    @property
    def macs_per_sample(self) -> int:
        """Multiply-accumulates of one forward pass."""
        return int(sum(np.prod(s) for s in self.shapes[::2]))

    @property
    def train_flops_per_sample(self) -> float:
        """Forward + backward ≈ 3 forward passes = 6 FLOPs per weight and sample."""
        return 6.0 * self.macs_per_sample

    @property
    def infer_flops_per_sample(self) -> float:
        return 2.0 * self.macs_per_sample


def init_params(spec: ModelSpec, rng: np.random.Generator) -> Arrays:
    """He-scaled weights, zero biases."""
    out: Arrays = []
    for shape in spec.shapes:
        if len(shape) == 2:
            out.append(rng.normal(0.0, np.sqrt(2.0 / shape[0]), shape))
        else:
            out.append(np.zeros(shape))
    return out


def logits(params: Arrays, x: np.ndarray) -> np.ndarray:
    h = x
    for i in range(0, len(params) - 2, 2):
        h = np.maximum(h @ params[i] + params[i + 1], 0.0)
    return h @ params[-2] + params[-1]


def predict(params: Arrays, x: np.ndarray) -> np.ndarray:
    return np.argmax(logits(params, x), axis=1)


def accuracy(params: Arrays, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(predict(params, x) == y))


def _grads(params: Arrays, x: np.ndarray, y: np.ndarray, decay: float) -> Arrays:
    acts = [x]
    for i in range(0, len(params) - 2, 2):
        acts.append(np.maximum(acts[-1] @ params[i] + params[i + 1], 0.0))
    z = acts[-1] @ params[-2] + params[-1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(y.size), y] -= 1.0
    delta = p / y.size
    grads: Arrays = []
    for layer in range(len(params) // 2 - 1, -1, -1):
        w = params[2 * layer]
        grads[:0] = [acts[layer].T @ delta + decay * w, delta.sum(axis=0)]
        if layer:
            delta = (delta @ w.T) * (acts[layer] > 0)
    return grads


def local_train(params: Arrays, x: np.ndarray, y: np.ndarray, spec: ModelSpec, epochs: int,
                rng: np.random.Generator) -> Arrays:
    """``epochs`` passes of mini-batch SGD from ``params`` (not modified); returns new arrays."""
    out = [p.astype(np.float64, copy=True) for p in params]
    for _ in range(epochs):
        order = rng.permutation(y.size)
        for s in range(0, y.size, spec.batch):
            idx = order[s: s + spec.batch]
            for p, g in zip(out, _grads(out, x[idx], y[idx], spec.weight_decay), strict=True):
                p -= spec.lr * g
    return out


def to_wire(params: Arrays, dtype: str) -> Arrays:
    """The arrays as sent over the air (cast to the wire dtype)."""
    return [np.ascontiguousarray(p, dtype=dtype) for p in params]


def payload_bits(arrays: Arrays) -> float:
    """Bits of the serialised arrays, counted exactly as Flower's ``ArrayRecord.count_bytes``:
    one ``.npy`` record per array (header + data) plus the key ``str(i)``."""
    total = 0
    for i, a in enumerate(arrays):
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=False)
        total += len(buf.getvalue()) + len(str(i))
    return 8.0 * total


def standardiser(sums: np.ndarray, sq_sums: np.ndarray, n: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std from (federated) sums of x and x², with a floor on the std."""
    mean = sums / n
    std = np.sqrt(np.maximum(sq_sums / n - mean**2, 0.0))
    return mean, np.where(std > 1e-9, std, 1.0)
