"""``wattlab reproduce``: run the studies, one process each, cache every finished result, report.

Each finished study is written to ``OUT/.cache/<id>.json`` at once (atomically, with a checksum),
so an interrupted run resumes where it stopped. A cache entry is reused only when its key (study
id and version, scale, seed, parameter digest, wattlab version) matches and its checksum holds;
a corrupted entry is recomputed, never reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wattlab.errors import SpecError
from wattlab.params import Registry, load_registry
from wattlab.study import Scale, Study, all_studies, select


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def study_seed(seed: int, study_id: str) -> list[int]:
    """A per-study seed sequence: stable across runs and independent of study order."""
    digest = hashlib.sha256(study_id.encode()).digest()
    return [seed, int.from_bytes(digest[:8], "little")]


def _cache_key(study: Study, scale: Scale, seed: int, params: Registry) -> str:
    from wattlab import __version__
    from wattlab.records import RECORD_VERSION

    text = (f"{study.id}|v{study.version}|{scale}|{seed}|{params.digest()}|{__version__}"
            f"|r{RECORD_VERSION}")
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _checksum(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def run_one(study_id: str, scale: Scale, seed: int, param_files: Sequence[str]) -> dict[str, Any]:
    """Run one study (in a worker process) with its sensitivity pass; return its record as a
    JSON-ready dict (``wattlab.records.StudyRecord.to_dict``) with figures."""
    from wattlab.records import run_study

    params = load_registry(param_files)
    study = all_studies()[study_id]
    return run_study(study, scale, study_seed(seed, study_id), params, seed=seed).to_dict()


@dataclass
class Cache:
    """Finished study records under ``root``, keyed and checksummed."""

    root: Path

    def path(self, study_id: str) -> Path:
        return self.root / f"{study_id}.json"

    def load(self, study_id: str, key: str) -> dict[str, Any] | None:
        p = self.path(study_id)
        if not p.exists():
            return None
        try:
            entry = json.loads(p.read_text())
            if entry["key"] != key:
                return None
            if _checksum(entry["record"]) != entry["sha256"]:
                raise ValueError("checksum mismatch")
            return dict(entry["record"])
        except (ValueError, KeyError, TypeError) as exc:
            warnings.warn(f"cache entry {p} is corrupted ({exc}); recomputing it", stacklevel=2)
            p.unlink(missing_ok=True)
            return None

    def store(self, key: str, record: dict[str, Any]) -> None:
        entry = {"key": key, "sha256": _checksum(record), "record": record}
        atomic_write(self.path(record["id"]), json.dumps(entry))


def reproduce(
    ids: Sequence[str] | None = None,
    *,
    scale: Scale = "quick",
    out: Path = Path("wattlab-report"),
    jobs: int = 1,
    seed: int = 0,
    param_files: Sequence[str] = (),
    cluster: str | None = None,
    on_done: Callable[[dict[str, Any], bool], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the studies named by ``ids`` (all by default) and write the report into ``out``.

    Everything is validated (ids, parameter files, jobs) before anything is written.
    ``on_done(record, from_cache)`` is called as each study finishes. Returns the records.
    """
    if jobs < 1:
        raise SpecError(f"--jobs must be >= 1, got {jobs}")
    if scale not in ("quick", "full"):
        raise SpecError(f"scale must be 'quick' or 'full', got {scale!r}")
    params = load_registry(param_files)  # fails here, before any output, on a bad file
    studies = select(ids)
    cache = Cache(Path(out) / ".cache")
    files = [str(Path(f).resolve()) for f in param_files]
    records: dict[str, dict[str, Any]] = {}
    todo: list[Study] = []
    keys = {s.id: _cache_key(s, scale, seed, params) for s in studies}
    for s in studies:
        hit = cache.load(s.id, keys[s.id])
        if hit is not None:
            records[s.id] = hit
            if on_done:
                on_done(hit, True)
        else:
            todo.append(s)

    def finished(rec: dict[str, Any]) -> None:
        records[rec["id"]] = rec
        if "error" not in rec:
            cache.store(keys[rec["id"]], rec)
        if on_done:
            on_done(rec, False)

    if cluster:
        _run_on_ray(todo, scale, seed, files, cluster, finished)
    else:
        _run_local(todo, scale, seed, files, jobs, finished)
    ordered = [records[s.id] for s in studies]
    from wattlab.report import write_report

    write_report(ordered, Path(out), params)
    return ordered


def _run_local(todo: list[Study], scale: Scale, seed: int, files: Sequence[str], jobs: int,
               finished: Callable[[dict[str, Any]], None]) -> None:
    """One fresh process per study (its memory is freed when it ends), ``jobs`` at a time."""
    if not todo:
        return
    with ProcessPoolExecutor(max_workers=jobs, max_tasks_per_child=1) as pool:
        futures: dict[Future[dict[str, Any]], str] = {
            pool.submit(run_one, s.id, scale, seed, files): s.id for s in todo}
        for fut in as_completed(futures):
            try:
                finished(fut.result())
            except Exception as exc:  # the worker process itself died
                finished({"id": futures[fut], "error": f"worker failed: {exc!r}"})


def _run_on_ray(todo: list[Study], scale: Scale, seed: int, files: Sequence[str], address: str,
                finished: Callable[[dict[str, Any]], None]) -> None:
    from wattlab.errors import require

    ray = require("ray", extra="dist", purpose="--cluster")
    ray.init(address=address, ignore_reinit_error=True)
    try:
        task = ray.remote(run_one)
        pending = {task.remote(s.id, scale, seed, list(files)): s.id for s in todo}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            ref = done[0]
            sid = pending.pop(ref)
            try:
                finished(ray.get(ref))
            except Exception as exc:
                finished({"id": sid, "error": f"ray task failed: {exc!r}"})
    finally:
        ray.shutdown()


def sources_used(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every parameter any study used, by key."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        out.update(r.get("params", {}))
    return dict(sorted(out.items()))


__all__ = ["atomic_write", "reproduce", "run_one", "sources_used"]
