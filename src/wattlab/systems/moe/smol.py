"""The MoEfied SmolLM2-135M, built once per process from the offline zoo.

Calibration tokens come from the corpus' ``train`` split, evaluation from its ``eval`` split, so
the router is never fitted on the text it is scored on.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import numpy as np

from wattlab.systems.moe.moefy import MoEfied, moefy

#: Defaults: a shared expert of the 25% most active neurons plus 16 routed experts of 72 neurons,
#: 12 routed per token (81% of the FFN active). Without a shared expert, or with a lower top-k,
#: MoEfication without fine-tuning costs far more perplexity (see the elmoe3d study's table).
N_EXPERTS, TOP_K, CALIB_TOKENS, SHARED = 16, 12, 512, 0.25


def token_ids(tokenizer: Any, split: str, n: int) -> list[int]:
    """The first ``n`` tokens of a corpus split."""
    from wattlab.nn.corpus import load_corpus

    text = "\n\n".join(load_corpus(split))  # type: ignore[arg-type]
    return list(tokenizer(text[: 8 * n], add_special_tokens=False)["input_ids"][:n])


@cache
def moefied_smollm2(n_experts: int = N_EXPERTS, top_k: int = TOP_K, calib_tokens: int = CALIB_TOKENS,
                    seed: int = 0, shared_fraction: float = SHARED) -> tuple[Any, Any, Any, MoEfied]:
    """(dense model, MoEfied copy, tokenizer, what was done); cached per process, do not modify."""
    import torch

    from wattlab.nn.zoo import load_smollm2

    dense, tok = load_smollm2()
    moe = copy.deepcopy(dense)
    ids = torch.tensor([token_ids(tok, "train", calib_tokens)])
    info = moefy(moe, ids, n_experts, top_k, np.random.default_rng(seed), shared_fraction)
    return dense, moe.eval(), tok, info
