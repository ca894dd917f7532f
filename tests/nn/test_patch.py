"""patch(): exactness, MAC counting, restore, errors — on small torch models."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="the PyTorch bridge needs torch (wattlab[torch])")

from wattlab.cost import Cost  # noqa: E402
from wattlab.errors import SpecError  # noqa: E402
from wattlab.nn import linear_macs_per_token, patch  # noqa: E402
from wattlab.substrates.exact import ExactSubstrate  # noqa: E402


def _mlp(bias: bool = True, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(8, 16, bias=bias), torch.nn.GELU(),
                               torch.nn.Linear(16, 4, bias=bias)).eval()


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_patched_output_equals_original(native: bool, bias: bool) -> None:
    model = _mlp(bias)
    x = torch.randn(3, 5, 8)
    ref = model(x)
    with patch(model, ExactSubstrate(torch_native=native)) as h:
        out = model(x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
    assert h.macs == 3 * 5 * (8 * 16 + 16 * 4)
    assert h.cost.counts["macs"] == h.macs and h.calls == 2


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=4), st.integers(1, 3), st.integers(1, 6))
def test_counted_macs_equal_shape_count(widths: list[int], batch: int, seq: int) -> None:
    dims = [5, *widths]
    model = torch.nn.Sequential(*[torch.nn.Linear(a, b) for a, b in zip(dims, dims[1:])])
    with torch.no_grad(), patch(model, ExactSubstrate()) as h:
        model(torch.randn(batch, seq, 5))
    assert h.macs == batch * seq * linear_macs_per_token(model)
    assert h.macs == batch * seq * sum(a * b for a, b in zip(dims, dims[1:]))
    assert sum(h.layer_macs.values()) == h.macs


def test_restore_on_exit_and_explicit() -> None:
    model = _mlp()
    originals = [m for m in model if isinstance(m, torch.nn.Linear)]
    keys = list(model.state_dict())
    with patch(model, ExactSubstrate()) as h:
        assert not any(isinstance(m, torch.nn.Linear) for m in model)
        assert list(model.state_dict()) == keys
        assert h.active
    assert [model[0], model[2]] == originals and not h.active
    h2 = patch(model, ExactSubstrate())
    h2.restore()
    h2.restore()
    assert [model[0], model[2]] == originals


def test_restore_after_exception_and_reset() -> None:
    model = _mlp()
    with pytest.raises(RuntimeError), patch(model, ExactSubstrate()) as h:
        model(torch.randn(2, 8))
        assert h.macs > 0
        h.reset()
        assert h.macs == 0 and h.cost == Cost() and not h.layer_macs
        raise RuntimeError("boom")
    assert isinstance(model[0], torch.nn.Linear)


def test_tied_and_shared_linears_are_all_patched() -> None:
    shared = torch.nn.Linear(4, 4)
    model = torch.nn.ModuleDict({"a": shared, "b": shared})
    with patch(model, ExactSubstrate()) as h:
        model["a"](torch.randn(1, 4))
        model["b"](torch.randn(1, 4))
        assert h.calls == 2
    assert model["a"] is shared and model["b"] is shared


def test_torch_native_keeps_autograd() -> None:
    model = _mlp()
    x = torch.randn(2, 8)
    model(x).sum().backward()
    ref = model[0].weight.grad.clone()
    model.zero_grad()
    with patch(model, ExactSubstrate(torch_native=True)):
        model(x).sum().backward()
    torch.testing.assert_close(model[0].weight.grad, ref)


def test_rng_reaches_substrate() -> None:
    seen = []

    class Spy(ExactSubstrate):
        def matmul(self, a, b, *, rng):  # type: ignore[no-untyped-def]
            seen.append(rng)
            return super().matmul(a, b, rng=rng)

    rng = np.random.default_rng(7)
    model = _mlp()
    with torch.no_grad(), patch(model, Spy(), rng=rng) as h:
        model(torch.randn(1, 8))
    assert seen == [rng, rng] and h.calls == 2


def test_errors() -> None:
    with pytest.raises(SpecError, match="no torch.nn.Linear"):
        patch(torch.nn.Sequential(torch.nn.ReLU()), ExactSubstrate())
    with pytest.raises(SpecError, match="torch.nn.Module"):
        patch(object(), ExactSubstrate())
    with pytest.raises(SpecError, match="Sequential"):
        patch(torch.nn.Linear(2, 2), ExactSubstrate())
    with pytest.raises(SpecError, match="does not satisfy"):
        patch(_mlp(), object())
    model = _mlp()
    with patch(model, ExactSubstrate()), pytest.raises(SpecError, match="already patched"):
        patch(model, ExactSubstrate())
    assert isinstance(model[0], torch.nn.Linear)


def test_wrong_output_shape_from_substrate() -> None:
    class Broken(ExactSubstrate):
        def matmul(self, a, b, *, rng):  # type: ignore[no-untyped-def]
            out, cost = super().matmul(a, b, rng=rng)
            return out[:, :-1], cost

    model = _mlp()
    with patch(model, Broken()), pytest.raises(SpecError, match="returned shape"):
        model(torch.randn(2, 8))
