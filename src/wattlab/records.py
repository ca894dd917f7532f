"""A study's record (``StudyRecord``), the sensitivity pass, and the JSON schema of ``results.json``.

``run_study`` runs one study, computes its verdict (the study never does), and then the
**sensitivity pass**: for every registry key the study read whose evidence is ``assumed``, the
study's value is recomputed with that key at ×0.5 and ×2 (clipped to the key's valid range; a
key at 0 uses the range's ends) and judged again. The pass uses the study's cheap ``modelled``
path when it declares one, else reruns ``run``, within a time budget per study (the larger of
:data:`BUDGET_MIN_S` and :data:`BUDGET_FRACTION` of the study's run): keys the budget does not
reach are named in the record as not assessed, never silently dropped. A key whose change flips
the verdict is listed in ``decided_by``.

``results.json`` is a list of :class:`StudyRecord` serialised by :meth:`StudyRecord.to_json`;
:func:`json_schema` is its schema, written beside the report as ``results.schema.json``.
"""

from __future__ import annotations

import math
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from wattlab.errors import MissingDependencyError, StudyError
from wattlab.params import Param, Registry, describe
from wattlab.study import RunContext, Scale, Study, figures_enabled, seed_sequence

#: The sensitivity pass's time budget per study: max(BUDGET_MIN_S, BUDGET_FRACTION x its run).
#: It keeps the pass within +30% of ``reproduce --quick`` (docs/benchmarks/verdicts.md).
BUDGET_MIN_S = 5.0
BUDGET_FRACTION = 0.5
#: Record format version (bump when a field changes meaning).
RECORD_VERSION = 1


@dataclass
class SensitivityPoint:
    """One assumed key moved to its low and high ends, with the value and verdict at each."""

    key: str
    nominal: float
    low: float
    high: float
    value_low: float | None
    value_high: float | None
    verdict_low: str
    verdict_high: str
    unit: str = ""


@dataclass
class StudyRecord:
    """Everything known about one study's run: ``results.json`` holds one per study."""

    id: str
    paper: str = ""
    arxiv: str = ""
    claim: str = ""
    metric: str = ""
    unit: str = ""
    paper_value: float | None = None
    tolerance: float | None = None
    claim_kind: str = "approx"
    value: float | None = None
    interval: list[float] | None = None
    straddles: bool = False
    verdict: str | None = None
    gap: float | None = None
    direction_holds: bool | None = None
    evidence: str | None = None
    boundary: str = ""
    inputs_from_paper: list[str] = field(default_factory=list)
    needs: str = ""
    notes: list[str] = field(default_factory=list)
    decided_by: list[str] = field(default_factory=list)
    sensitivity: list[SensitivityPoint] = field(default_factory=list)
    #: "modelled" (the study's cheap path), "run" (full reruns) or "" (not assessed).
    sensitivity_path: str = ""
    #: The sensitivity path's value at the nominal parameters (the bars' common origin).
    sensitivity_nominal: float | None = None
    sensitivity_s: float = 0.0
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    costs: dict[str, dict[str, Any]] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: PNG bytes as hex in memory and in the cache; file paths in ``results.json``.
    figures: dict[str, str] = field(default_factory=dict)
    scale: str = "quick"
    seed: int = 0
    wall_s: float = 0.0
    error: str | None = None
    traceback: str | None = None
    record_version: int = RECORD_VERSION

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the cache's form); ``error``/``traceback`` only when set."""
        d = asdict(self)
        for k in ("error", "traceback"):
            if d[k] is None:
                del d[k]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StudyRecord:
        """The record from :meth:`to_dict`'s form (unknown keys are an error naming them)."""
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise StudyError(f"record '{d.get('id')}': unknown field(s) {sorted(unknown)}")
        kw = dict(d)
        kw["sensitivity"] = [SensitivityPoint(**p) for p in d.get("sensitivity") or []]
        return cls(**kw)

    def to_json(self, figure_paths: dict[str, str] | None = None) -> dict[str, Any]:
        """The ``results.json`` form: figures as report-relative paths, no traceback."""
        d = self.to_dict()
        d.pop("traceback", None)
        d["figures"] = dict(figure_paths or {})
        return d


def _ends(p: Param) -> tuple[float, float] | None:
    """The low and high settings of an assumed key: ×0.5 and ×2 within its valid range."""
    v = p.value
    lo_r, hi_r = p.valid_range
    if v == 0:
        if math.isfinite(lo_r) and math.isfinite(hi_r) and lo_r < hi_r:
            return lo_r, hi_r
        return None
    a, b = sorted((v * 0.5, v * 2.0))
    if float(v).is_integer() and abs(v) >= 2:
        a, b = float(math.floor(a)), float(math.ceil(b))
    a, b = max(a, lo_r), min(b, hi_r)
    if a == v and b == v:
        return None
    return a, b


@contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        token = figures_enabled.set(False)
        try:
            yield
        finally:
            figures_enabled.reset(token)


def sensitivity_pass(
    study: Study, params: Registry, used: set[str], nominal_value: float | None,
    evidence: str, make_ctx: Callable[[Registry], RunContext], run_s: float,
) -> tuple[list[SensitivityPoint], list[str], str, float | None, list[str]]:
    """Move each ``assumed`` key in ``used`` to its ends and judge the value again.

    Returns ``(points, decided_by, path, nominal, notes)``: ``nominal`` is the path's value at
    the nominal parameters. A path that returns NaN or infinity is a
    :class:`StudyError` naming the study, the path and the key.
    """
    def assumed(keys: set[str]) -> list[str]:
        return sorted(k for k in keys if k in params.params
                      and params.params[k].evidence == "assumed")

    keys = assumed(used)
    if not keys:
        return [], [], "", None, []
    notes: list[str] = []
    budget = max(BUDGET_MIN_S, BUDGET_FRACTION * run_s)
    t_start = time.perf_counter()
    if study.modelled is not None:
        path_name = "modelled"
        modelled = study.modelled

        def path(reg: Registry) -> float | None:
            return modelled(make_ctx(reg))

        tracked = params.tracking()
        with _quiet():
            nominal = path(tracked)
        per_call = t_first = time.perf_counter() - t_start
        keys = assumed(set(tracked.used or ()))  # the keys the modelled value depends on
        if not keys:
            if nominal is not None and math.isnan(float(nominal)):
                raise StudyError(f"study '{study.id}': the sensitivity path (modelled) returned "
                                 f"{nominal} at the nominal parameters; it must return a finite "
                                 "number or None")
            return [], [], "modelled", nominal, [
                "sensitivity: the study's modelled path reads no assumed parameter, so none "
                "can move the value"]
    else:
        if 2 * run_s > budget:
            return [], [], "", None, [
                f"sensitivity not assessed: {len(keys)} assumed keys ({', '.join(keys)}) would "
                f"need {2 * len(keys)} reruns of a {run_s:.1f} s run (budget {budget:.0f} s); "
                "the study should declare a cheap `modelled` path"]
        path_name = "run"
        per_call, t_first = run_s, 0.0

        def path(reg: Registry) -> float | None:
            return study.run(make_ctx(reg)).value

        nominal = nominal_value

    def check(v: float | None, where: str) -> float | None:
        """A finite value, None for "no value" (infinity: the quantity ceases to exist, e.g. no
        crossover); NaN is a bug in the path and an error naming the study."""
        if v is None:
            return None
        v = float(v)
        if math.isnan(v):
            raise StudyError(f"study '{study.id}': the sensitivity path ({path_name}) returned "
                             f"NaN {where}; it must return a number (or None when there is none)")
        if math.isinf(v):
            notes.append(f"sensitivity: the {path_name} path gives {v} {where} (no finite value)")
            return None
        return v

    nominal = check(nominal, "at the nominal parameters")
    base = study.claim.assess(nominal, None, evidence).verdict
    points: list[SensitivityPoint] = []
    decided: list[str] = []
    calls, last_key_s = 0, 0.0
    for i, k in enumerate(keys):
        elapsed = time.perf_counter() - t_start
        if calls:  # the mean time of the calls so far (after the nominal one, if any)
            per_call = (elapsed - t_first) / calls
        # the next key costs two calls: at least the mean, at least what the last key took (a
        # memoized path is fast on keys it need not recompute and slow on a run of keys it must)
        if elapsed + max(2 * per_call, last_key_s) > budget:
            rest = keys[i:]
            notes.append(f"sensitivity not assessed for {len(rest)} of {len(keys)} assumed keys "
                         f"({', '.join(rest)}): the pass's budget of {budget:.0f} s (max of "
                         f"{BUDGET_MIN_S:g} s and {BUDGET_FRACTION:g} x the run) was reached; a "
                         "cheaper `modelled` path would cover them")
            break
        p = params.params[k]
        ends = _ends(p)
        if ends is None:
            notes.append(f"sensitivity: '{k}' is 0 with no finite valid range; not varied")
            continue
        vals: list[float | None] = []
        verdicts: list[str] = []
        t_key = time.perf_counter()
        for x in ends:
            calls += 1
            try:
                with _quiet():
                    reg = params.with_value(k, x, "sensitivity pass")
                    v = path(reg)
            except StudyError:
                raise
            except Exception as exc:  # a failed point is shown, never a number
                notes.append(f"sensitivity: {path_name} path failed with '{k}' = {x:g} "
                             f"{p.unit}: {type(exc).__name__}: {exc}")
                vals.append(None)
                verdicts.append("error")
                continue
            v = check(v, f"with '{k}' = {x:g} {p.unit}")
            vals.append(v)
            verdicts.append(study.claim.assess(v, None, evidence).verdict)
        if p.value == 0:
            notes.append(f"sensitivity: '{k}' is 0, so ×0.5 and ×2 leave it unchanged; it was "
                         f"set to the ends of its valid range instead ({ends[0]:g}, {ends[1]:g} "
                         f"{p.unit})")
        last_key_s = time.perf_counter() - t_key
        points.append(SensitivityPoint(k, p.value, ends[0], ends[1], vals[0], vals[1],
                                       verdicts[0], verdicts[1], p.unit))
        if any(v not in (base, "error") for v in verdicts):
            decided.append(k)
    if path_name == "modelled" and nominal_value is not None and nominal is not None \
            and not math.isclose(nominal, nominal_value, rel_tol=1e-6):
        notes.append(f"sensitivity: the modelled path gives {nominal:.4g} at the nominal "
                     f"parameters (the run's value is {nominal_value:.4g}); flips are judged "
                     "against the modelled path's own verdict")
    return points, decided, path_name, nominal, notes


def run_study(study: Study, scale: Scale, seed_seq: list[int], params: Registry,
              seed: int = 0, sensitivity: bool = True) -> StudyRecord:
    """Run ``study`` with ``params`` (untracked), judge it and run the sensitivity pass."""
    tracked = params.tracking()
    paper_seed = seed_sequence(seed, study.paper_id)

    def make_ctx(reg: Registry) -> RunContext:
        return RunContext(scale=scale, rng=np.random.default_rng(seed_seq), params=reg,
                          paper_seed=paper_seed)

    t0 = time.perf_counter()
    rec = StudyRecord(id=study.id, paper=study.paper, arxiv=study.arxiv, claim=study.claim.text,
                      metric=study.claim.metric, unit=study.claim.unit,
                      paper_value=study.claim.paper_value, tolerance=study.claim.rel_tol,
                      claim_kind=study.claim.kind, evidence=study.evidence,
                      boundary=study.boundary, inputs_from_paper=list(study.inputs_from_paper),
                      scale=scale, seed=seed)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = study.run(make_ctx(tracked))
    except MissingDependencyError as exc:  # a missing optional part is never an error
        rec.verdict, rec.needs = "not-checkable-here", str(exc)
        rec.wall_s = time.perf_counter() - t0
        return rec
    except Exception as exc:  # a study's failure is reported, never turned into a number
        rec.error, rec.traceback = f"{type(exc).__name__}: {exc}", traceback.format_exc()
        rec.wall_s = time.perf_counter() - t0
        return rec
    run_s = time.perf_counter() - t0
    try:
        j = study.assess(out)
    except StudyError as exc:
        rec.error, rec.wall_s = f"StudyError: {exc}", run_s
        return rec
    rec.evidence = out.evidence or study.evidence
    rec.value = None if out.value is None else float(out.value)
    rec.interval = None if out.interval is None else [float(x) for x in out.interval]
    rec.straddles, rec.verdict, rec.gap, rec.direction_holds = (
        j.straddles, j.verdict, j.gap, j.direction_holds)
    rec.needs = out.needs
    rec.notes = list(out.notes) + list(j.notes) + [f"warning: {w.message}" for w in caught]
    rec.tables = _plain(out.tables)
    rec.costs = {k: c.to_dict() for k, c in out.costs.items()}
    rec.figures = {k: v.hex() for k, v in out.figures.items()}
    used_keys = set(tracked.used or ())
    used = {k: params.params[k] for k in sorted(used_keys)}
    for c in out.costs.values():
        used.update(c.sources)
    rec.params = {k: describe(p) for k, p in sorted(used.items())}
    if sensitivity and rec.value is not None and not rec.needs:
        t1 = time.perf_counter()
        try:
            pts, decided, path, nominal, notes = sensitivity_pass(
                study, params, used_keys | set(used), rec.value, rec.evidence or "modelled",
                make_ctx, run_s)
        except StudyError as exc:
            rec.error = f"StudyError: {exc}"
            rec.wall_s = time.perf_counter() - t0
            return rec
        rec.sensitivity, rec.decided_by, rec.sensitivity_path = pts, decided, path
        rec.sensitivity_nominal = nominal
        rec.notes += notes
        if decided:
            rec.notes.append("decided by assumed " + ", ".join(decided) + ": the verdict changes "
                             "when that key is halved or doubled (or set to its range ends)")
        rec.sensitivity_s = time.perf_counter() - t1
    rec.wall_s = time.perf_counter() - t0
    return rec


def _plain(obj: Any) -> Any:
    """Tables as plain JSON types (NumPy scalars become Python numbers and booleans)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


_NUM = {"type": ["number", "null"]}
_STR = {"type": "string"}


def json_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of ``results.json``: an array of study records."""
    point = {
        "type": "object",
        "required": ["key", "nominal", "low", "high", "value_low", "value_high",
                     "verdict_low", "verdict_high"],
        "properties": {"key": _STR, "nominal": {"type": "number"}, "low": {"type": "number"},
                       "high": {"type": "number"}, "value_low": _NUM, "value_high": _NUM,
                       "verdict_low": _STR, "verdict_high": _STR, "unit": _STR},
        "additionalProperties": False,
    }
    verdicts = ["reproduced", "trend-reproduced", "not-reproduced", "not-checkable-here",
                "identity", "consistency", "paper-data", None]
    evidence = ["measured", "modelled", "identity", "consistency", "paper-data", None]
    props: dict[str, Any] = {
        "id": _STR, "paper": _STR, "arxiv": _STR, "claim": _STR, "metric": _STR, "unit": _STR,
        "paper_value": _NUM, "tolerance": _NUM,
        "claim_kind": {"enum": ["approx", "at_least", "at_most"]},
        "value": _NUM,
        "interval": {"oneOf": [{"type": "null"}, {"type": "array", "items": {"type": "number"},
                                                  "minItems": 2, "maxItems": 2}]},
        "straddles": {"type": "boolean"},
        "verdict": {"enum": verdicts},
        "gap": _NUM, "direction_holds": {"type": ["boolean", "null"]},
        "evidence": {"enum": evidence},
        "boundary": _STR,
        "inputs_from_paper": {"type": "array", "items": _STR},
        "needs": _STR,
        "notes": {"type": "array", "items": _STR},
        "decided_by": {"type": "array", "items": _STR},
        "sensitivity": {"type": "array", "items": point},
        "sensitivity_path": {"enum": ["", "modelled", "run"]},
        "sensitivity_nominal": _NUM,
        "sensitivity_s": {"type": "number"},
        "tables": {"type": "object", "additionalProperties": {"type": "array",
                                                             "items": {"type": "object"}}},
        "costs": {"type": "object", "additionalProperties": {"type": "object"}},
        "params": {"type": "object", "additionalProperties": {"type": "object"}},
        "figures": {"type": "object", "additionalProperties": _STR},
        "scale": {"enum": ["quick", "full"]},
        "seed": {"type": "integer"},
        "wall_s": {"type": "number"},
        "error": _STR,
        "record_version": {"const": RECORD_VERSION},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/wattlab/wattlab/results.schema.json",
        "title": "wattlab results.json",
        "description": "One record per study (wattlab.records.StudyRecord): the claim, the value "
                       "with its kind of evidence and interval, the framework's verdict, and its "
                       "sensitivity to each assumed parameter.",
        "type": "array",
        "items": {"type": "object", "required": ["id"], "properties": props,
                  "additionalProperties": False},
    }


__all__ = ["BUDGET_FRACTION", "BUDGET_MIN_S", "SensitivityPoint", "StudyRecord", "json_schema", "run_study",
           "sensitivity_pass"]
