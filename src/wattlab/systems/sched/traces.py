"""Workloads: trace readers (SWF, Alibaba PAI, Helios, Philly, wattlab CSV) and a generator.

Public GPU-cluster traces carry no scaling curves and no power, so every job read from one is
given an application profile (:func:`attach_profiles`): each distinct application key (the SWF
executable, else the user) maps to one of a library of Amdahl curves drawn from the registry's
``ecosched.synth.*`` assumptions. Results on a replayed trace therefore depend on these assumed
profiles; say so wherever they are reported.

Layouts (column names as read; a ``columns={"canonical": "your name"}`` map renames them):

* ``wattlab``: ``job_id, submit_s, runtime_s, gpus`` and optional ``app, estimate_s, max_gpus,
  p, comm, util, comm_power`` (Amdahl parameters of the job's curve). Lines starting ``#`` are
  comments. This is the format of the shipped synthetic sample and of ``write_trace``.
* ``swf``: the Standard Workload Format (18 whitespace-separated fields, ``;`` comments, ``-1``
  for missing): submit (2), run time (4), allocated (5) or requested (8) processors read as GPUs
  (``procs_per_gpu`` divides them), requested time (9) as the estimate, user (12), executable (14).
* ``pai``: Alibaba PAI 2020 ``pai_task_table`` (``job_name, task_name, inst_num, status,
  start_time, end_time, plan_cpu, plan_mem, plan_gpu, gpu_type``; the published file has no
  header, so a header-less file is read in this order). GPUs = ceil(inst_num x plan_gpu / 100)
  (``plan_gpu`` is in percent of one GPU [M]); submit = start_time; one task row = one job.
* ``helios``: Helios ``cluster_log`` (``job_id, user, gpu_num, submit_time, start_time,
  end_time`` and optionally ``duration``; times as seconds or ``YYYY-MM-DD HH:MM:SS``) [M].
* ``philly``: a Philly job table flattened to CSV (``jobid, user, submitted_time, num_gpus``
  and ``run_time`` or ``start_time, end_time``) [M]; the original Philly log is JSON.
  Both layouts also accept each other's names for the id, submit-time and GPU columns
  (a Philly table converted to the Helios column names reads either way).

Bad rows raise :class:`~wattlab.errors.SpecError` naming the file and row: a missing column, a
non-number, a negative duration. Rows that describe no GPU job (a CPU-only Helios job, a PAI task
without a GPU, an unfinished job when ``incomplete="skip"``) are never dropped silently: they are
listed in ``Trace.skipped`` with the reason. A job larger than any node is kept in the trace and
reported by the simulator as unrunnable.
"""

from __future__ import annotations

import csv
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np

from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry
from wattlab.systems.sched.model import Cluster, Job, Scaling

Layout = Literal["wattlab", "swf", "pai", "helios", "philly"]
LAYOUTS: tuple[str, ...] = ("wattlab", "swf", "pai", "helios", "philly")
_S = "ecosched.synth."
SAMPLE = Path(__file__).parent / "data" / "synthetic_sample.csv"

_PAI_COLUMNS = ("job_name", "task_name", "inst_num", "status", "start_time", "end_time",
                "plan_cpu", "plan_mem", "plan_gpu", "gpu_type")


@dataclass
class Trace:
    """Jobs read from a file, plus every row that is not a GPU job, with the reason."""

    jobs: list[Job]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (row, reason)
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.jobs)


# -- helpers -----------------------------------------------------------------------------------
def _num(text: str, where: str, col: str) -> float:
    try:
        v = float(text)
    except (TypeError, ValueError):
        raise SpecError(f"{where}: column '{col}' = {text!r} is not a number") from None
    if not math.isfinite(v):
        raise SpecError(f"{where}: column '{col}' = {text!r} is not finite")
    return v


def _time(text: str, where: str, col: str) -> float:
    """Seconds: a number, or an ISO date-time (seconds since the epoch, UTC-naive)."""
    t = (text or "").strip()
    try:
        return float(t)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(t).timestamp()
    except ValueError:
        raise SpecError(f"{where}: column '{col}' = {text!r} is neither seconds nor a "
                        "'YYYY-MM-DD HH:MM:SS' time") from None


def _missing(text: str | None) -> bool:
    return text is None or text.strip() in ("", "nan", "NaN", "None", "null")


def _read_rows(path: Path, required: Sequence[str], layout: str, columns: Mapping[str, str] | None,
               default_header: Sequence[str] | None = None,
               aliases: Mapping[str, Sequence[str]] | None = None,
               ) -> Iterable[tuple[str, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise SpecError(f"{path}: no rows (empty file or only comments)")
    reader = csv.reader(lines)
    first = next(reader)
    rename = {v: k for k, v in (columns or {}).items()}
    header = [rename.get(h.strip(), h.strip()) for h in first]
    for canonical, alts in (aliases or {}).items():  # the other layouts' names for a column
        if canonical not in header:
            alt = next((a for a in alts if a in header), None)
            if alt is not None:
                header[header.index(alt)] = canonical
    body_start = 1
    if default_header is not None and not set(required) <= set(header):
        # header-less file (the published PAI tables): use the documented order
        try:
            float(first[2])
            header = list(default_header)
            body_start = 0
        except (ValueError, IndexError):
            pass
    missing = [c for c in required if c not in header]
    if missing:
        raise SpecError(f"{path}: the '{layout}' layout needs column(s) {', '.join(missing)}; found "
                        f"{', '.join(header) or 'none'}. Rename them or map them with "
                        "columns={'<needed>': '<yours>'} (CLI: --column needed=yours)")
    rows = [first] if body_start == 0 else []
    for k, row in enumerate(rows + list(reader)):
        line = k + 1 + body_start  # 1-based data line, header counted
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        yield f"{path.name} row {line}", dict(zip(header, row, strict=False))


def _job(where: str, jid: str, submit: float, runtime: float, gpus: float, app: str,
         estimate: float | None = None, max_gpus: int | None = None,
         scaling: Scaling | None = None) -> Job:
    if runtime < 0:
        raise SpecError(f"{where}: job '{jid}' has a negative duration ({runtime:g} s); "
                        "fix the row (end before start?)")
    if gpus != int(gpus) or gpus < 1:
        raise SpecError(f"{where}: job '{jid}' has GPU count {gpus:g}; it must be an integer >= 1")
    return Job(id=jid, submit=submit, runtime=runtime, gpus=int(gpus), app=app, estimate=estimate,
               max_gpus=max_gpus, scaling=scaling, row=where)


def _rebase(jobs: list[Job]) -> list[Job]:
    """Shift submit times so the first job arrives at t = 0."""
    if not jobs:
        return jobs
    t0 = min(j.submit for j in jobs)
    if t0 == 0:
        return jobs
    from dataclasses import replace

    return [replace(j, submit=j.submit - t0) for j in jobs]


# -- readers -----------------------------------------------------------------------------------
def read_wattlab(path: Path, columns: Mapping[str, str] | None = None) -> Trace:
    jobs = []
    for where, r in _read_rows(path, ("job_id", "submit_s", "runtime_s", "gpus"), "wattlab", columns):
        scaling = None
        if not _missing(r.get("p")):
            scaling = Scaling.amdahl(
                _num(r["p"], where, "p"),
                0.0 if _missing(r.get("comm")) else _num(r["comm"], where, "comm"),
                1.0 if _missing(r.get("util")) else _num(r["util"], where, "util"),
                0.0 if _missing(r.get("comm_power")) else _num(r["comm_power"], where, "comm_power"),
                max_gpus=64)
        est = None if _missing(r.get("estimate_s")) else _num(r["estimate_s"], where, "estimate_s")
        mg = None if _missing(r.get("max_gpus")) else int(_num(r["max_gpus"], where, "max_gpus"))
        jobs.append(_job(where, r["job_id"], _num(r["submit_s"], where, "submit_s"),
                         _num(r["runtime_s"], where, "runtime_s"), _num(r["gpus"], where, "gpus"),
                         r.get("app") or "app", est, mg, scaling))
    return Trace(jobs, source=str(path))


def read_swf(path: Path, procs_per_gpu: int = 1) -> Trace:
    if procs_per_gpu < 1:
        raise SpecError(f"procs_per_gpu must be >= 1, got {procs_per_gpu}")
    jobs: list[Job] = []
    skipped: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        for k, line in enumerate(fh, 1):
            s = line.strip()
            if not s or s.startswith(";"):
                continue
            where = f"{path.name} line {k}"
            f = s.split()
            if len(f) < 18:
                raise SpecError(f"{where}: an SWF record has 18 fields, this one has {len(f)}")
            vals = [_num(x, where, f"field {i + 1}") for i, x in enumerate(f[:18])]
            jid, submit, run, alloc, req, req_t = (vals[0], vals[1], vals[3], vals[4], vals[7], vals[8])
            if run == -1:
                raise SpecError(f"{where}: job {jid:g} has no run time (field 4 is -1)")
            if submit < 0:
                raise SpecError(f"{where}: job {jid:g} has a negative submit time ({submit:g})")
            procs = alloc if alloc > 0 else req
            if procs <= 0:
                skipped.append((where, f"job {jid:g}: no processor count (fields 5 and 8 are -1)"))
                continue
            gpus = math.ceil(procs / procs_per_gpu)
            app = f"exe{vals[13]:g}" if vals[13] > 0 else f"user{vals[11]:g}"
            jobs.append(_job(where, f"{jid:g}", submit, run, gpus, app,
                             req_t if req_t > 0 else None))
    return Trace(_rebase(jobs), skipped, str(path))


def read_pai(path: Path, columns: Mapping[str, str] | None = None,
             incomplete: Literal["error", "skip"] = "error") -> Trace:
    jobs: list[Job] = []
    skipped: list[tuple[str, str]] = []
    req = ("job_name", "inst_num", "start_time", "end_time", "plan_gpu")
    for where, r in _read_rows(path, req, "pai", columns, _PAI_COLUMNS):
        jid = r["job_name"] + (f"/{r['task_name']}" if r.get("task_name") else "")
        if _missing(r["plan_gpu"]) or _num(r["plan_gpu"], where, "plan_gpu") <= 0:
            skipped.append((where, f"task '{jid}' requests no GPU (plan_gpu empty or 0)"))
            continue
        if _missing(r["start_time"]) or _missing(r["end_time"]):
            if incomplete == "skip":
                skipped.append((where, f"task '{jid}' has no start or end time (unfinished)"))
                continue
            raise SpecError(f"{where}: task '{jid}' has no start_time or end_time; drop unfinished "
                            "tasks or pass incomplete='skip' (CLI: --skip-incomplete) to list them")
        start, end = _time(r["start_time"], where, "start_time"), _time(r["end_time"], where, "end_time")
        inst = _num(r["inst_num"], where, "inst_num") if not _missing(r["inst_num"]) else 1.0
        gpus = max(1, math.ceil(inst * _num(r["plan_gpu"], where, "plan_gpu") / 100.0 - 1e-9))
        jobs.append(_job(where, jid, start, end - start, gpus, r.get("task_name") or "app"))
    return Trace(_rebase(jobs), skipped, str(path),
                 ["PAI: submit = task start_time (the task table has no queueing delay); "
                  "GPUs = ceil(inst_num x plan_gpu / 100)"])


_GENERIC_NAMES = {"id": ("job_id", "jobid"), "submit": ("submit_time", "submitted_time"),
                  "gpus": ("gpu_num", "num_gpus")}


def _read_generic(path: Path, layout: str, id_col: str, submit_col: str, gpu_col: str,
                  app_col: str, columns: Mapping[str, str] | None,
                  incomplete: Literal["error", "skip"]) -> Trace:
    jobs: list[Job] = []
    skipped: list[tuple[str, str]] = []
    aliases = {c: [a for a in _GENERIC_NAMES[k] if a != c]
               for k, c in (("id", id_col), ("submit", submit_col), ("gpus", gpu_col))}
    rows = list(_read_rows(path, (id_col, submit_col, gpu_col), layout, columns, aliases=aliases))
    has_dur = any(c in rows[0][1] for c in ("duration", "run_time")) if rows else False
    if rows and not has_dur and not {"start_time", "end_time"} <= set(rows[0][1]):
        raise SpecError(f"{path}: the '{layout}' layout needs column 'duration' (or 'run_time') or "
                        "both 'start_time' and 'end_time'; map yours with columns={...}")
    for where, r in rows:
        jid = r[id_col]
        g = _num(r[gpu_col], where, gpu_col) if not _missing(r[gpu_col]) else 0.0
        if g <= 0:
            skipped.append((where, f"job '{jid}' uses no GPU ({gpu_col} = {r[gpu_col]!r})"))
            continue
        dur_col = "duration" if "duration" in r else ("run_time" if "run_time" in r else "")
        if dur_col and not _missing(r[dur_col]):
            dur = _num(r[dur_col], where, dur_col)
        elif not _missing(r.get("start_time")) and not _missing(r.get("end_time")):
            dur = _time(r["end_time"], where, "end_time") - _time(r["start_time"], where, "start_time")
        elif incomplete == "skip":
            skipped.append((where, f"job '{jid}' has no duration (unfinished)"))
            continue
        else:
            raise SpecError(f"{where}: job '{jid}' has no duration or start/end time; drop it or "
                            "pass incomplete='skip' (CLI: --skip-incomplete) to list it")
        jobs.append(_job(where, jid, _time(r[submit_col], where, submit_col), dur, g,
                         r.get(app_col) or "app"))
    return Trace(_rebase(jobs), skipped, str(path))


def read_helios(path: Path, columns: Mapping[str, str] | None = None,
                incomplete: Literal["error", "skip"] = "error") -> Trace:
    return _read_generic(path, "helios", "job_id", "submit_time", "gpu_num", "user", columns, incomplete)


def read_philly(path: Path, columns: Mapping[str, str] | None = None,
                incomplete: Literal["error", "skip"] = "error") -> Trace:
    return _read_generic(path, "philly", "jobid", "submitted_time", "num_gpus", "user", columns,
                         incomplete)


def read_trace(path: str | Path, layout: str | None = None, *, columns: Mapping[str, str] | None = None,
               incomplete: Literal["error", "skip"] = "error", procs_per_gpu: int = 1) -> Trace:
    """Read a trace file; ``layout`` is one of :data:`LAYOUTS` (default: ``swf`` for ``.swf``
    files, else ``wattlab``)."""
    p = Path(path)
    try:
        is_file = p.is_file()
    except OSError as exc:
        raise SpecError(f"trace file '{p}': {exc.strerror or exc}") from None
    if not is_file:
        raise SpecError(f"trace file '{p}' does not exist (or is not a file)")
    lay = layout or ("swf" if p.suffix.lower() == ".swf" else "wattlab")
    readers = {"wattlab": lambda: read_wattlab(p, columns), "swf": lambda: read_swf(p, procs_per_gpu),
               "pai": lambda: read_pai(p, columns, incomplete),
               "helios": lambda: read_helios(p, columns, incomplete),
               "philly": lambda: read_philly(p, columns, incomplete)}
    if lay in readers:
        try:
            return readers[lay]()
        except UnicodeDecodeError as exc:
            raise SpecError(f"trace file '{p}' is not UTF-8 text (byte {exc.start}); convert it "
                            "or give the right file") from None
        except csv.Error as exc:
            raise SpecError(f"trace file '{p}' is not valid CSV ({exc})") from None
        except OSError as exc:
            raise SpecError(f"trace file '{p}' cannot be read: {exc.strerror or exc}") from None
    raise SpecError(f"unknown trace layout '{lay}'; use one of {', '.join(LAYOUTS)}")


# -- profiles and synthetic workloads ----------------------------------------------------------
def profile_library(params: Registry | None, rng: np.random.Generator, n: int | None = None,
                    max_gpus: int = 64) -> list[Scaling]:
    """``n`` (default ``ecosched.synth.apps``) application curves drawn from the assumptions:
    p ~ U(parallel_min, parallel_max), c ~ U(0, comm_max), u1 ~ U(util_min, util_max)
    (each range ordered and clipped to [0, 1])."""
    reg = params or default_registry()
    pmin, pmax, cmax, umin, umax, kp, apps = reg.values(
        _S + "parallel_min", _S + "parallel_max", _S + "comm_max", _S + "util_min", _S + "util_max",
        _S + "comm_power", _S + "apps")
    # ranges are [min(a, b), max(a, b)] clipped to [0, 1], so a sensitivity pass that doubles one
    # end never produces an invalid curve
    pmin, pmax = sorted((min(max(pmin, 0.0), 1.0), min(max(pmax, 0.0), 1.0)))
    umin, umax = sorted((min(max(umin, 0.0), 1.0), min(max(umax, 0.0), 1.0)))
    kp = min(max(kp, 0.0), 1.0)
    k = int(n if n is not None else max(1, round(apps)))
    out = []
    for _ in range(k):
        p = float(rng.uniform(pmin, pmax))
        c = float(rng.uniform(0.0, cmax))
        u = float(rng.uniform(umin, umax))
        out.append(Scaling.amdahl(p, c, u, kp, max_gpus=max_gpus))
    return out


def attach_profiles(jobs: Sequence[Job], params: Registry | None, rng: np.random.Generator,
                    keep: bool = True) -> list[Job]:
    """Give every job without a curve the library curve of its application key (a stable hash
    of ``job.app`` picks it), so all jobs of one application share one curve."""
    from dataclasses import replace

    lib = profile_library(params, rng)
    out = []
    for j in jobs:
        if keep and j.scaling is not None:
            out.append(j)
        else:
            out.append(replace(j, scaling=lib[zlib.crc32(j.app.encode()) % len(lib)]))
    return out


def synthetic(n: int, cluster: Cluster, rng: np.random.Generator, params: Registry | None = None,
              *, load: float | None = None) -> list[Job]:
    """``n`` trace-shaped synthetic jobs (assumptions: ``ecosched.synth.*``).

    Poisson arrivals at the rate that makes the offered load (requested GPU-seconds per second
    over the cluster's GPUs) equal ``load`` (default ``ecosched.synth.load``); log-normal
    durations at the requested count; requested counts 1/2/4/8 with the registry's shares
    (counts above the largest node are dropped from the mix and the shares renormalised); each
    job belongs to one of ``ecosched.synth.apps`` applications with an Amdahl curve.
    """
    if n < 0:
        raise SpecError(f"synthetic: job count must be >= 0, got {n}")
    reg = params or default_registry()
    med, sig = reg.values(_S + "runtime_median", _S + "runtime_sigma")
    load = reg.value(_S + "load") if load is None else load
    if not (load > 0):
        raise SpecError(f"synthetic: load must be > 0, got {load}")
    counts = [g for g in (1, 2, 4, 8) if g <= cluster.max_node_gpus]
    shares = np.array(reg.values(*(f"{_S}share_{g}gpu" for g in counts)))
    if shares.sum() <= 0:
        raise SpecError("ecosched.synth.share_*gpu: the shares of the node-sized counts sum to 0")
    shares = shares / shares.sum()
    lib = profile_library(reg, rng, max_gpus=cluster.max_node_gpus)
    gpus = rng.choice(counts, size=n, p=shares)
    runtime = rng.lognormal(math.log(med), sig, size=n)
    apps = rng.integers(0, len(lib), size=n)
    mean_gs = float(np.dot(counts, shares)) * med * math.exp(sig * sig / 2)
    rate = load * cluster.total_gpus / mean_gs
    submit = np.cumsum(rng.exponential(1.0 / rate, size=n)) if n else np.zeros(0)
    if n:
        submit -= submit[0]
    return [Job(id=f"s{i}", submit=float(submit[i]), runtime=float(runtime[i]), gpus=int(gpus[i]),
                app=f"app{int(apps[i])}", scaling=lib[int(apps[i])]) for i in range(n)]


def write_trace(jobs: Sequence[Job], path: str | Path, header: Sequence[str] = ()) -> None:
    """Write jobs in the ``wattlab`` layout. Curves are written as Amdahl parameters only when
    the job carries them (``Job.app`` curves from :func:`synthetic` are re-fitted exactly)."""
    p = Path(path)
    with p.open("w", newline="", encoding="utf-8") as fh:
        for line in header:
            fh.write(f"# {line}\n")
        w = csv.writer(fh)
        w.writerow(["job_id", "submit_s", "runtime_s", "gpus", "app", "p", "comm", "util", "comm_power"])
        for j in jobs:
            params = _amdahl_params(j.scaling) if j.scaling is not None else None
            extra = [f"{v:.6g}" for v in params] if params else ["", "", "", ""]
            w.writerow([j.id, f"{j.submit:.3f}", f"{j.runtime:.3f}", j.gpus, j.app, *extra])


def _amdahl_params(s: Scaling) -> tuple[float, float, float, float] | None:
    """Recover (p, c, u1, k) of an Amdahl curve from its tables (exact for curves made by
    Scaling.amdahl with at least 3 entries)."""
    if s.max_gpus < 3:
        return None
    f1, f2, f3 = s.time[:3]
    # f(g) = 1 - p + p/g + c (g - 1): f2 - f1 = -p/2 + c, f3 - f1 = -2p/3 + 2c
    a, b = f2 - f1, f3 - f1
    p = 3 * (b - 2 * a)  # b - 2a = -2p/3 + p = p/3
    c = a + p / 2
    u1 = s.power[0]
    e2 = 1.0 / (2 * f2)
    k = 0.0 if u1 == 0 or e2 >= 1 else (s.power[1] / u1 - e2) / (1 - e2)
    return p, c, u1, k
