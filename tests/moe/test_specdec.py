import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from wattlab.errors import SpecError
from wattlab.systems.moe import specdec as sd
from wattlab.systems.moe.elastic import ExpertCache


class AlwaysWrong:
    """An adversarial draft: proposes a token the full model does not pick, every time."""

    def __init__(self, model):
        self.model = model

    def propose(self, tokens, gamma, sampler):
        seq = list(tokens)
        for _ in range(gamma):
            with torch.no_grad():
                best = int(self.model(input_ids=torch.tensor([seq])).logits[0, -1].argmax())
            seq.append((best + 1) % self.model.config.vocab_size)
        return seq[len(tokens):], None


def test_generate_with_cache_equals_full_recompute(tiny_model):
    toks, _ = sd.generate(tiny_model, [5, 6], 8)
    seq = [5, 6]
    with torch.no_grad():
        for _ in range(8):
            seq.append(int(tiny_model(input_ids=torch.tensor([seq])).logits[0, -1].argmax()))
    assert toks == seq[2:]


@settings(max_examples=12, deadline=None)
@given(gamma=st.integers(1, 5), k=st.sampled_from([1, 2]), bits=st.sampled_from([None, 2, 4]),
       prompt=st.lists(st.integers(0, 63), min_size=1, max_size=5))
def test_greedy_speculation_equals_plain_greedy(tiny_model, gamma, k, bits, prompt):
    want, _ = sd.generate(tiny_model, prompt, 12)
    got, stats = sd.speculate(tiny_model, prompt, 12, gamma,
                              sd.SelfDraft(tiny_model, sd.Elastic(top_k=k, weight_bits=bits)))
    assert got == want
    assert stats.target_calls == stats.rounds


def test_adversarial_draft_never_changes_the_output(tiny_model):
    want, _ = sd.generate(tiny_model, [1, 2, 3], 10)
    got, stats = sd.speculate(tiny_model, [1, 2, 3], 10, 3, AlwaysWrong(tiny_model))
    assert got == want
    assert stats.alpha == 0 and stats.tokens_per_round == 1


def test_hot_set_draft_reads_the_expert_cache(tiny_model):
    """cache = draft: the draft routes over the cache's current contents, output stays exact."""
    cache = ExpertCache(2, 8, 3, "lru")
    draft = sd.SelfDraft(tiny_model, sd.Elastic(top_k=2, hot=cache.hot_masks))
    want, _ = sd.generate(tiny_model, [7, 8], 12)
    got, _ = sd.speculate(tiny_model, [7, 8], 12, 3, draft, on_verify=cache.access_pass)
    assert got == want
    assert cache.hits + cache.misses > 0


def test_trained_model_drafts_are_mostly_accepted(tiny_model):
    _, stats = sd.speculate(tiny_model, [3, 4, 5], 24, 4, sd.SelfDraft(tiny_model, sd.Elastic(top_k=1)))
    assert stats.alpha > 0.3


@pytest.mark.parametrize("gamma", [0, -1])
def test_gamma_below_one_is_a_spec_error(tiny_model, gamma):
    with pytest.raises(SpecError):
        sd.speculate(tiny_model, [1], 4, gamma, sd.SelfDraft(tiny_model, sd.Elastic()))
    with pytest.raises(SpecError):
        sd.expected_tokens(0.5, gamma)


@pytest.mark.parametrize("alpha,gamma", [(0.3, 2), (0.7, 4), (0.9, 6)])
def test_expected_tokens_formula_matches_iid_simulation(alpha, gamma):
    rng = np.random.default_rng(0)
    ok = rng.random((200_000, gamma)) < alpha
    accepted = np.where(ok.all(1), gamma, ok.argmin(1))
    assert abs((accepted + 1).mean() - sd.expected_tokens(alpha, gamma)) < 0.02
    assert sd.expected_tokens(1.0, gamma) == gamma + 1


def test_rejection_step_preserves_the_target_distribution():
    """Chi-square: the first emitted token follows p whatever the draft q is."""
    g = torch.Generator().manual_seed(0)
    p = torch.softmax(torch.randn(3, 6, generator=g) * 2, -1)
    q = torch.softmax(torch.randn(2, 6, generator=g) * 2, -1)
    sampler = sd.Sampler(1.0, torch.Generator().manual_seed(1))
    n = 6000
    first = np.zeros(6)
    for _ in range(n):
        drafted = [sampler.draw(q[0]), sampler.draw(q[1])]
        acc, nxt = sd.accept_sampled(p, q, drafted, sampler)
        first[drafted[0] if acc >= 1 else nxt] += 1
    want = p[0].double().numpy()
    assert stats.chisquare(first, want / want.sum() * n).pvalue > 1e-3


def test_speculative_sampling_matches_the_model_two_tokens_deep(tiny_model):
    """End to end: the second sampled token's marginal equals the full model's (chi-square)."""
    prompt, v, n, temp = [9, 10], tiny_model.config.vocab_size, 400, 2.0
    with torch.no_grad():
        p1 = torch.softmax(tiny_model(input_ids=torch.tensor([prompt])).logits[0, -1] / temp, -1)
        seqs = torch.tensor([[*prompt, x] for x in range(v)])
        p2 = torch.softmax(tiny_model(input_ids=seqs).logits[:, -1] / temp, -1)
    marginal = (p1[:, None] * p2).sum(0).double().numpy()
    sampler = sd.Sampler(temp, torch.Generator().manual_seed(3))
    draft = sd.SelfDraft(tiny_model, sd.Elastic(top_k=1))
    counts = np.zeros(v)
    for _ in range(n):
        toks, _ = sd.speculate(tiny_model, prompt, 2, 2, draft, sampler)
        counts[toks[1]] += 1
    keep = marginal * n >= 5  # pool rare tokens so the test is valid
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(marginal[keep], marginal[~keep].sum()) * n
    assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 1e-3


def test_alpha_needed_inverts_the_expected_tokens_formula():
    a = sd.alpha_needed(4, 3.0)
    assert a is not None and sd.expected_tokens(a, 4) == pytest.approx(3.0, abs=1e-9)
    assert sd.alpha_needed(4, 5.5) is None
    assert sd.alpha_needed(2, 0.5) == pytest.approx(0.0, abs=1e-9)
