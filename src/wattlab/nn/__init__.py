"""Bridge to PyTorch: patch a model so every Linear runs on a substrate; the offline model zoo.

Importing this package never imports torch; the functions import it when called.
"""

from wattlab.nn.corpus import fingerprint, load_corpus
from wattlab.nn.evaluate import Perplexity, embedding_fidelity, minilm_embed, perplexity
from wattlab.nn.patch import PatchHandle, linear_macs_per_token, patch
from wattlab.nn.zoo import MissingModelError, load_minilm, load_smollm2

__all__ = [
    "MissingModelError",
    "PatchHandle",
    "Perplexity",
    "embedding_fidelity",
    "fingerprint",
    "linear_macs_per_token",
    "load_corpus",
    "load_minilm",
    "load_smollm2",
    "minilm_embed",
    "patch",
    "perplexity",
]
