import pytest

torch = pytest.importorskip("torch", reason="the MoE systems need torch")
pytest.importorskip("transformers", reason="the MoE models are HF Llama models")


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_model():
    from wattlab.systems.moe import tiny

    return tiny.train(steps=60, seed=0)
