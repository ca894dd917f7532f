"""``wattlab reproduce``: run the studies, one process per paper, cache every finished result, report.

Each finished study is written to ``OUT/.cache/<id>.json`` at once (atomically, with a checksum),
so an interrupted run resumes where it stopped. A cache entry is reused only when its key (study
id and version, scale, seed, every parameter's value *and* provenance, wattlab version) matches,
its checksum holds, and the record passes the record schema (its id is the study's, its verdict
is what the claim gives for its value); anything else is recomputed, never reported.

Seed, parameters and the output folder are checked before any study runs; one run at a time
holds ``OUT/.lock``; the report is written only once it is whole (each file atomically); Ctrl-C
stops at once and keeps the studies that finished.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import pkgutil
import shutil
import socket
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wattlab.cluster import probe
from wattlab.errors import SpecError, StudyError, WattlabError
from wattlab.files import atomic_write
from wattlab.params import Registry, load_registry
from wattlab.study import Scale, Study, all_studies, seed_sequence, select

SEED_MAX = 2**32 - 1
MAX_JOBS = 256
#: Seconds to wait for a Ray cluster before giving up with a message.
#: Longest path component an output folder may have (most filesystems allow 255 bytes).
_NAME_MAX = 255


def check_out_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if it is, or can be made, a writable folder; checked before any work."""
    p = Path(path)
    text = str(p)
    if not text:
        raise SpecError("--out is empty; give a folder such as wattlab-report")
    if any(len(part.encode()) > _NAME_MAX for part in p.parts):
        raise SpecError(f"--out '{text}' has a path component longer than {_NAME_MAX} bytes")
    if p.exists() and not p.is_dir():
        raise SpecError(f"--out '{text}' is a file, not a folder; choose a folder path")
    probe = p
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise SpecError(f"--out '{text}' lies under '{probe}', which is a file; choose a folder path")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise SpecError(f"--out '{text}': '{probe}' is not writable (permission denied)")
    return p


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
    return run_study(study, scale, seed_sequence(seed, study_id), params, seed=seed).to_dict()


_NUM = (int, float)
_OPT_NUM = (int, float, type(None))
_OPT_STR = (str, type(None))
#: The type of every field of a cached record (``wattlab.records.StudyRecord.to_dict``).
_RECORD_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": str, "paper": str, "arxiv": str, "claim": str, "metric": str, "unit": str,
    "paper_value": _OPT_NUM, "tolerance": _OPT_NUM, "claim_kind": str, "value": _OPT_NUM,
    "interval": (list, type(None)), "straddles": bool, "verdict": _OPT_STR, "gap": _OPT_NUM,
    "direction_holds": (bool, type(None)), "evidence": _OPT_STR, "boundary": str,
    "inputs_from_paper": list, "needs": str, "notes": list, "decided_by": list,
    "sensitivity": list, "sensitivity_path": str, "sensitivity_nominal": _OPT_NUM,
    "sensitivity_s": _NUM, "tables": dict, "costs": dict, "params": dict, "figures": dict,
    "scale": str, "seed": int, "wall_s": _NUM, "record_version": int,
}


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def check_record(record: Any, study: Study | str) -> dict[str, Any]:
    """``record`` if it is a well-formed finished record of ``study``, else ValueError.

    Checked: every field is present with its type and no other field is; the study id; figure
    hex; and (given the Study) that the claim fields are the study's and the verdict and gap are
    what the claim gives for the recorded value, interval and evidence.
    """
    from wattlab.records import RECORD_VERSION, StudyRecord

    if not isinstance(record, dict):
        raise ValueError("the record is not a JSON object")
    if "error" in record or "traceback" in record:
        raise ValueError("failed studies are never cached")
    unknown = set(record) - set(_RECORD_TYPES)
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)}")
    for k, t in _RECORD_TYPES.items():
        if k not in record:
            raise ValueError(f"field '{k}' is missing")
        v = record[k]
        allowed = t if isinstance(t, tuple) else (t,)
        if not isinstance(v, allowed) or (isinstance(v, bool) and bool not in allowed):
            raise ValueError(f"field '{k}' has the wrong type ({type(v).__name__})")
    sid = study if isinstance(study, str) else study.id
    if record["id"] != sid:
        raise ValueError(f"it holds study '{record['id']}', not '{sid}'")
    if record["record_version"] != RECORD_VERSION:
        raise ValueError(f"record version {record['record_version']} is not {RECORD_VERSION}")
    for hexpng in record["figures"].values():
        if not isinstance(hexpng, str):
            raise ValueError("figures must map names to hex strings")
        bytes.fromhex(hexpng)  # ValueError on bad hex
    value, interval = record["value"], record["interval"]
    if value is not None and not math.isfinite(value):
        raise ValueError("the value is not finite")
    if interval is not None and (len(interval) != 2 or not all(
            isinstance(x, _NUM) and not isinstance(x, bool) and math.isfinite(x)
            for x in interval)):
        raise ValueError("the interval is not two finite numbers")
    if not isinstance(study, str):
        c = study.claim
        if (record["paper_value"], record["metric"], record["unit"], record["claim_kind"]) != (
                c.paper_value, c.metric, c.unit, c.kind):
            raise ValueError("its claim is not the study's")
        if record["verdict"] != "not-checkable-here" or value is not None:
            j = c.assess(value, None if interval is None else (interval[0], interval[1]),
                         record["evidence"] or study.evidence or "modelled")
            if record["verdict"] != j.verdict or not _same(record["gap"], j.gap):
                raise ValueError("its verdict or gap is not what the claim gives for its value")
    try:
        StudyRecord.from_dict(record)
    except (WattlabError, TypeError) as exc:
        raise ValueError(str(exc)) from None
    return dict(record)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


@dataclass
class Cache:
    """Finished study records under ``root``, keyed and checksummed."""

    root: Path

    def path(self, study_id: str) -> Path:
        return self.root / f"{study_id}.json"

    def load(self, study: Study | str, key: str) -> dict[str, Any] | None:
        study_id = study if isinstance(study, str) else study.id
        p = self.path(study_id)
        if not p.exists() and not p.is_symlink():
            return None
        try:
            if p.is_symlink() or not p.is_file():
                raise ValueError("not a regular file")
            entry = json.loads(p.read_text(encoding="utf-8"))
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                raise ValueError("not a cache entry")
            if entry["key"] != key:
                return None
            if _checksum(entry["record"]) != entry["sha256"]:
                raise ValueError("checksum mismatch")
            record = check_record(entry["record"], study)
        except (ValueError, KeyError, TypeError, OSError, UnicodeDecodeError) as exc:
            warnings.warn(f"cache entry {p} is corrupted ({exc}); recomputing it", stacklevel=2)
            _remove(p)
            return None
        return record

    def store(self, key: str, record: dict[str, Any]) -> None:
        entry = {"key": key, "sha256": _checksum(record), "record": record}
        p = self.path(record["id"])
        if p.is_dir() and not p.is_symlink():
            _remove(p)
        atomic_write(p, json.dumps(entry))


class RunLock:
    """``OUT/.lock``: one ``reproduce`` per output folder. A lock whose process has ended (on this
    host) is taken over; a live one is an error naming its holder."""

    def __init__(self, out: Path) -> None:
        self.path = out / ".lock"
        self.held = False

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = f"{os.getpid()} {socket.gethostname()}"
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            except FileExistsError:
                holder = self._holder()
                if holder is None:  # stale: its process is gone
                    self.path.unlink(missing_ok=True)
                    continue
                raise SpecError(f"another wattlab run ({holder}) is writing to "
                                f"'{self.path.parent}' (lock file {self.path}); wait for it to "
                                "finish or use another --out") from None
            with os.fdopen(fd, "w") as f:
                f.write(me)
            self.held = True
            return self
        raise SpecError(f"cannot take the lock {self.path}; remove it if no run is active")

    def _holder(self) -> str | None:
        try:
            pid_s, host = self.path.read_text().split(maxsplit=1)
            pid = int(pid_s)
        except (OSError, ValueError):
            return "an unknown process"
        if host.strip() == socket.gethostname():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return None
            except PermissionError:
                pass
        return f"pid {pid} on {host.strip()}"

    def __exit__(self, *exc: object) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False


def reproduce(
    ids: Sequence[str] | None = None,
    *,
    scale: Scale = "quick",
    out: Path = Path("wattlab-report"),
    jobs: int | None = None,
    seed: int = 0,
    param_files: Sequence[str] = (),
    cluster: str | None = None,
    on_done: Callable[[dict[str, Any], bool], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the studies named by ``ids`` (all by default) and write the report into ``out``.

    Everything is validated (ids, parameter files, jobs, seed, the output folder) before
    anything is written; ``OUT/.lock`` keeps a second run on the same folder out (SpecError
    naming the holder). ``on_done(record, from_cache)`` is called as each study finishes.
    Returns the records.
    """
    jobs = default_jobs() if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise SpecError(f"--jobs must be >= 1, got {jobs}")
    if jobs > MAX_JOBS:
        raise SpecError(f"--jobs {jobs}: at most {MAX_JOBS} worker processes (each study runs in "
                        "its own process)")
    if scale not in ("quick", "full"):
        raise SpecError(f"scale must be 'quick' or 'full', got {scale!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise SpecError(f"--seed must be a whole number in 0 .. {SEED_MAX}, got {seed!r}")
    out = check_out_dir(out)
    params = load_registry(param_files)  # fails here, before any output, on a bad file
    studies = select(ids)
    for s in studies:
        if s.id.startswith(".") or "/" in s.id or "\\" in s.id:
            raise StudyError(f"study id '{s.id}' cannot name a report file; rename the study")
    files = [str(Path(f).resolve()) for f in param_files]
    with RunLock(Path(out)):
        ordered = _reproduce(studies, scale, Path(out), jobs, seed, files, params, cluster, on_done)
    return ordered


#: Memory a worker may need at its peak (a paper's process with SmolLM2 loaded stays below ~1.5 GiB).
WORKER_MEMORY = 2 * 2**30


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_jobs() -> int:
    """Workers when the user names none: one per usable core, at most one per
    :data:`WORKER_MEMORY` of physical memory."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): cores alone
        return usable_cores()
    return max(1, min(usable_cores(), memory // WORKER_MEMORY))


def _reproduce(studies: list[Study], scale: Scale, out: Path, jobs: int, seed: int,
               files: Sequence[str], params: Registry, cluster: str | None,
               on_done: Callable[[dict[str, Any], bool], None] | None) -> list[dict[str, Any]]:
    cache = Cache(out / ".cache")
    records: dict[str, dict[str, Any]] = {}
    todo: list[Study] = []
    keys = {s.id: _cache_key(s, scale, seed, params) for s in studies}
    for s in studies:
        hit = cache.load(s, keys[s.id])
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

    todo = longest_first(todo, cache)
    if cluster:
        _run_on_ray(todo, scale, seed, files, cluster, finished)
    else:
        _run_local(todo, scale, seed, files, jobs, finished)
    ordered = [records[s.id] for s in studies]
    from wattlab.report import write_report

    write_report(ordered, Path(out), params)
    return ordered


def last_wall_s(cache: Cache, study_id: str) -> float | None:
    """The wall time an earlier run of the study took (any cache entry, even a stale one)."""
    p = cache.path(study_id)
    try:
        if p.is_symlink() or not p.is_file() or p.stat().st_size > 64 * 2**20:
            return None
        wall = json.loads(p.read_text(encoding="utf-8"))["record"]["wall_s"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return float(wall) if isinstance(wall, int | float) and math.isfinite(wall) else None


def longest_first(todo: list[Study], cache: Cache) -> list[Study]:
    """Studies ordered paper by paper, the paper that takes longest first (and in it its longest
    study): a study's expected time is its last wall time, else (a first run) its declared
    ``expected_s``. With ``--jobs`` workers the run then ends soon after its longest paper."""
    def expected(s: Study) -> float:
        wall = last_wall_s(cache, s.id)
        return s.expected_s if wall is None else wall

    expect = {s.id: expected(s) for s in todo}
    per_paper: dict[str, float] = {}
    for s in todo:
        per_paper[s.paper_id] = per_paper.get(s.paper_id, 0.0) + expect[s.id]
    return sorted(todo, key=lambda s: (-per_paper[s.paper_id], -expect[s.id]))


#: The queue a worker process sends each finished record to (set by the pool's initializer).
_RESULTS: Any = None


#: Modules the fork server imports once, so each paper's fresh worker starts with them loaded (one
#: that is missing is skipped): the study modules always; the heavy libraries several papers need
#: when there are more papers than workers (else each worker imports them once, in parallel).
_PRELOAD = ("wattlab.records", "matplotlib.pyplot")
_PRELOAD_HEAVY = ("scipy.stats", "torch", "transformers.models.llama.modeling_llama")
#: The thread-count variables of OpenMP (PyTorch), OpenBLAS, MKL and numexpr.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def _worker_context(workers: int, papers: int) -> tuple[Any, int]:
    """The multiprocessing context for ``workers`` processes running ``papers`` papers (a fork
    server that has imported the modules they share, where the platform has one; else spawn) and
    each worker's thread count: its share of this process's cores. Without the share, ``--jobs 2``
    on 2 cores runs two 2-thread PyTorch pools and spinning OpenMP threads slow both several-fold."""
    import multiprocessing

    threads = max(1, usable_cores() // max(workers, 1))
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn"), threads
    from wattlab.study import BUILTIN

    ctx = multiprocessing.get_context("forkserver")
    studies = importlib.util.find_spec(BUILTIN)
    names = [f"{BUILTIN}.{m.name}" for m in pkgutil.iter_modules(
        studies.submodule_search_locations if studies else [])]
    ctx.set_forkserver_preload([*_PRELOAD, *(_PRELOAD_HEAVY if papers > workers else ()), *names])
    return ctx, threads


def _init_worker(queue: Any, environ: dict[str, str], threads: int) -> None:
    """A worker starts with the parent's environment as it is now (a fork server's is the one it
    started with) and its share of the cores as its thread limit (a limit the user set is kept)."""
    global _RESULTS
    _RESULTS = queue
    os.environ.clear()
    os.environ.update(environ)
    user_set = any(v in environ for v in _THREAD_VARS)
    for v in _THREAD_VARS:
        os.environ.setdefault(v, str(threads))
    if user_set:
        return
    if "torch" in sys.modules:  # loaded by the fork server before the limit was known
        sys.modules["torch"].set_num_threads(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)  # BLAS libraries loaded before the variables were set


def run_group(ids: Sequence[str], scale: Scale, seed: int, param_files: Sequence[str]) -> int:
    """Run the studies of one paper in this (worker) process, one after the other, sending each
    record to the results queue as it finishes; they share what the process has loaded (a
    model, imported libraries). Returns how many ran."""
    for sid in ids:
        _RESULTS.put(run_one(sid, scale, seed, param_files))
    return len(ids)


def paper_groups(todo: list[Study]) -> list[list[Study]]:
    """``todo`` split by paper (the id's prefix before the first '.'), groups in the order of
    their first study (so the order of :func:`longest_first` is kept)."""
    groups: dict[str, list[Study]] = {}
    for s in todo:
        groups.setdefault(s.paper_id, []).append(s)
    return list(groups.values())


def _run_local(todo: list[Study], scale: Scale, seed: int, files: Sequence[str], jobs: int,
               finished: Callable[[dict[str, Any]], None]) -> None:
    """One fresh process per paper (its memory is freed when the paper's studies end; studies of
    one paper share a loaded model), ``jobs`` at a time; each study's record is reported as soon
    as it finishes. A worker that dies fails the studies it had not finished."""
    if not todo:
        return
    groups = paper_groups(todo)
    workers = min(jobs, len(groups))
    ctx, threads = _worker_context(workers, len(groups))
    # a SimpleQueue writes in put() itself (no feeder thread), so a record sent just before the
    # worker dies is not lost
    results = ctx.SimpleQueue()
    pool = ProcessPoolExecutor(max_workers=workers, max_tasks_per_child=1, mp_context=ctx,
                               initializer=_init_worker,
                               initargs=(results, dict(os.environ), threads))
    seen: set[str] = set()

    def drain(block_s: float) -> None:
        deadline = time.monotonic() + block_s
        while True:
            got = False
            while not results.empty():
                rec = results.get()
                seen.add(rec["id"])
                finished(rec)
                got = True
            if got or time.monotonic() >= deadline:
                return
            time.sleep(0.02)

    try:
        futures: dict[Future[int], list[str]] = {
            pool.submit(run_group, [s.id for s in g], scale, seed, files): [s.id for s in g]
            for g in groups}
        pending = set(futures)
        while pending:
            drain(0.2)
            for fut in [f for f in pending if f.done()]:
                pending.discard(fut)
                exc = fut.exception()
                # records put before the worker returned may still be in the queue's pipe
                deadline = time.monotonic() + (30.0 if exc is None else 0.0)
                drain(0.0)
                while any(i not in seen for i in futures[fut]) and time.monotonic() < deadline:
                    drain(0.2)
                for sid in futures[fut]:
                    if sid not in seen:  # the worker died (or never sent it)
                        seen.add(sid)
                        finished({"id": sid, "error": f"worker failed: {exc!r}"})
        drain(0.0)
    except BaseException:  # Ctrl-C: stop at once; what finished is already cached
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _run_on_ray(todo: list[Study], scale: Scale, seed: int, files: Sequence[str], address: str,
                finished: Callable[[dict[str, Any]], None]) -> None:
    from wattlab.errors import require

    ray = require("ray", extra="dist", purpose="--cluster")
    probe(address)  # a wrong host:port fails within CONNECT_TIMEOUT_S, before ray.init
    try:
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    except Exception as exc:
        raise SpecError(f"--cluster {address}: Ray could not connect ({exc}); check the address "
                        "(host:port of the head node, 'auto' or 'local')") from None
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


__all__ = ["paper_groups", "reproduce", "run_group", "run_one"]
