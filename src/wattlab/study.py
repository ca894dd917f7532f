"""Studies: one paper claim each, reproduced at reduced scale with an honest verdict.

A capability registers a study by defining a module-level ``STUDIES`` list in a module of
``wattlab.studies`` (found automatically), in a package exposed through the ``wattlab.studies``
entry-point group, or in a module named in the ``WATTLAB_STUDIES`` environment variable
(comma-separated module names; worker processes inherit it). The core never needs editing.

The framework, not the study, computes every verdict:

- **Kinds of evidence.** A study says what its value is (``evidence``): ``measured`` (timed or
  metered here), ``modelled`` (cost model and registry), ``identity`` (arithmetic of the paper's
  own inputs), ``consistency`` (recovered from parameters fitted to the same paper) or
  ``paper-data`` (the paper's released data re-analysed). Only ``measured`` and ``modelled``
  values can be ``reproduced``; a value of another kind that agrees with the paper gets the
  kind's own name as its verdict (``identity``, ``consistency``, ``paper-data``).
- **Bounded trends.** ``trend-reproduced`` only when the value lies on the paper's side of
  ``trend_threshold`` *and* within a factor ``trend_factor`` (≤ 3) of the paper's value;
  otherwise ``not-reproduced`` with "direction holds" noted. A claim whose direction follows
  from the set-up (``direction_from_setup``) gets no trend verdict at all.
- **Uncertainty.** An ``Outcome.interval`` (required for a value estimated from samples) must
  overlap the tolerance band for ``reproduced``; a verdict the interval straddles says so.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import math
import os
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, get_args

import numpy as np

from wattlab.cost import Cost
from wattlab.errors import StudyError
from wattlab.params import Registry

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The package of wattlab's own studies (modules with a ``STUDIES`` list).
BUILTIN = "wattlab.studies"

Evidence = Literal["measured", "modelled", "identity", "consistency", "paper-data"]
#: Every kind of evidence, and the two whose agreement counts as a reproduction.
EVIDENCE_KINDS: tuple[str, ...] = get_args(Evidence)
REPRODUCIBLE: tuple[str, ...] = ("measured", "modelled")
Verdict = Literal["reproduced", "trend-reproduced", "not-reproduced", "not-checkable-here",
                  "identity", "consistency", "paper-data"]
Scale = Literal["quick", "full"]
#: The widest factor a trend verdict may allow between the value and the paper's value.
MAX_TREND_FACTOR = 3.0
#: False while the framework reruns a study for its sensitivity pass: figures are not rendered.
figures_enabled: ContextVar[bool] = ContextVar("wattlab_figures_enabled", default=True)


class Judgement(NamedTuple):
    """A verdict with its gap and the notes that explain it."""

    verdict: Verdict
    gap: float | None
    notes: tuple[str, ...] = ()
    #: True when the value's interval crosses an edge of the tolerance band.
    straddles: bool = False
    #: True when the value lies on the paper's side of the trend threshold.
    direction_holds: bool | None = None


@dataclass(frozen=True)
class Claim:
    """What the paper says, and how a wattlab value is judged against it.

    ``kind``: ``approx`` (within ``rel_tol`` of ``paper_value``), ``at_least`` or ``at_most``.
    When ``paper_value`` is 0 the gap is absolute (in ``unit``) and so is ``rel_tol``.
    ``trend_threshold`` (e.g. 1.0 for "N× better", 0.0 for "a saving"): a value that misses the
    tolerance is ``trend-reproduced`` only when it lies on the paper's side of the threshold and
    within a factor ``trend_factor`` (at most 3; a claim may narrow it) of ``paper_value``.
    ``direction_from_setup``: the direction follows from the set-up itself (8B costs more than
    1B; any saving > 0), so there is no trend verdict — only a note whether the direction holds.
    """

    text: str
    metric: str
    unit: str
    paper_value: float
    rel_tol: float = 0.1
    kind: Literal["approx", "at_least", "at_most"] = "approx"
    trend_threshold: float | None = None
    trend_factor: float = MAX_TREND_FACTOR
    direction_from_setup: bool = False

    def problems(self) -> list[str]:
        """What is wrong with this claim, as ``field: reason`` strings (empty when valid)."""
        out = []
        if not (isinstance(self.paper_value, (int, float)) and math.isfinite(self.paper_value)):
            out.append(f"claim.paper_value: {self.paper_value!r} is not a finite number")
        if not (math.isfinite(self.rel_tol) and self.rel_tol >= 0):
            out.append(f"claim.rel_tol: {self.rel_tol!r} must be a finite number >= 0")
        if self.kind not in ("approx", "at_least", "at_most"):
            out.append(f"claim.kind: {self.kind!r} must be 'approx', 'at_least' or 'at_most'")
        if not (1.0 < self.trend_factor <= MAX_TREND_FACTOR):
            out.append(f"claim.trend_factor: {self.trend_factor!r} must lie in (1, "
                       f"{MAX_TREND_FACTOR:g}]; a claim may narrow the trend factor, never widen it")
        t = self.trend_threshold
        if t is not None and not math.isfinite(t):
            out.append(f"claim.trend_threshold: {t!r} is not finite")
        if t is not None and math.isfinite(t) and self.paper_value == t:
            out.append(f"claim.trend_threshold: equals the paper value {t!r}, so no side exists")
        return out

    def band(self) -> tuple[float, float]:
        """The values that count as agreeing with the paper (the tolerance band)."""
        p, tol = self.paper_value, self.rel_tol
        half = tol * abs(p) if p else tol
        lo, hi = p - half, p + half
        if self.kind == "at_least":
            return lo, math.inf
        if self.kind == "at_most":
            return -math.inf, hi
        return lo, hi

    def judge(self, value: float | None, interval: tuple[float, float] | None = None,
              evidence: str = "modelled") -> tuple[Verdict, float | None]:
        """The verdict and the relative gap (value − paper) / paper; see :meth:`assess`."""
        j = self.assess(value, interval, evidence)
        return j.verdict, j.gap

    def assess(self, value: float | None, interval: tuple[float, float] | None = None,
               evidence: str = "modelled") -> Judgement:
        """The verdict for ``value`` (with its ``interval``, when estimated) of kind ``evidence``,
        with its gap and the notes that explain it."""
        if value is None or not math.isfinite(value):
            return Judgement("not-checkable-here", None)
        p = self.paper_value
        gap = (value - p) / abs(p) if p else value
        lo, hi = self.band()
        notes: list[str] = []
        ok = bool(lo <= value <= hi)
        straddles = False
        if interval is not None:
            ilo, ihi = interval
            overlaps = bool(ilo <= hi and ihi >= lo)
            ok = ok and overlaps
            straddles = overlaps and not (lo <= ilo and ihi <= hi)
            if straddles:
                side = "inside" if ok else "outside"
                notes.append(f"the interval [{ilo:.4g}, {ihi:.4g}] straddles the tolerance band "
                             f"[{lo:.4g}, {hi:.4g}]: the value lies {side} it, but the verdict "
                             "could go either way at this sample size")
        t = self.trend_threshold
        value = float(value)
        holds = None if t is None else bool((value - t) * (p - t) > 0)
        verdict: Verdict
        if ok:
            verdict = "reproduced"
        elif self.direction_from_setup:
            verdict = "not-reproduced"
            if holds:
                notes.append("direction holds, as it must from the set-up (no trend verdict)")
        elif holds:
            ratio = value / p if p else math.inf
            within = ratio > 0 and max(ratio, 1 / ratio) <= self.trend_factor
            verdict = "trend-reproduced" if within else "not-reproduced"
            if not within:
                notes.append(f"direction holds (value on the paper's side of {t:g}) but the value "
                             f"is not within a factor {self.trend_factor:g} of the paper's")
        else:
            verdict = "not-reproduced"
        if verdict in ("reproduced", "trend-reproduced") and evidence not in REPRODUCIBLE:
            notes.append(f"agrees with the paper ({verdict}), but as {evidence}: not an "
                         "independent reproduction")
            verdict = evidence  # type: ignore[assignment]
        return Judgement(verdict, gap, tuple(notes), straddles, holds)


@dataclass
class Outcome:
    """What a study's run returns; the verdict is computed from ``value`` by the claim.

    ``interval``: a confidence interval ``(lo, hi)``, required when the value is estimated from
    samples (tokens, sentences, bits, repeats); say in the notes what it is (e.g. 95% bootstrap).
    ``evidence`` overrides the study's kind for this run (e.g. a run that measured after all).
    Set ``value=None`` and ``needs`` (the exact command) when a check cannot run here.
    """

    value: float | None
    notes: list[str] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    costs: dict[str, Cost] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    needs: str = ""
    evidence: Evidence | None = None
    interval: tuple[float, float] | None = None

    def figure(self, name: str, fig: Figure) -> None:
        """Store a matplotlib figure as PNG and close it (not rendered in sensitivity reruns)."""
        import matplotlib.pyplot as plt

        if not figures_enabled.get():
            plt.close(fig)
            return
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.figures[name] = buf.getvalue()

    def problems(self) -> list[str]:
        """What is wrong with this outcome, as ``field: reason`` strings (empty when valid)."""
        out = []
        if self.evidence is not None and self.evidence not in EVIDENCE_KINDS:
            out.append(f"outcome.evidence: {self.evidence!r} is not one of "
                       f"{', '.join(EVIDENCE_KINDS)}")
        if self.interval is not None:
            try:
                lo, hi = (float(x) for x in self.interval)
            except (TypeError, ValueError):
                return [*out, f"outcome.interval: {self.interval!r} is not a pair (lo, hi)"]
            if not (math.isfinite(lo) and math.isfinite(hi)):
                out.append(f"outcome.interval: ({lo!r}, {hi!r}) is not finite")
            elif lo > hi:
                out.append(f"outcome.interval: lo {lo:g} > hi {hi:g}")
            if self.value is None:
                out.append("outcome.interval: given without a value")
        return out


def seed_sequence(seed: int, name: str) -> list[int]:
    """The seed sequence of a study or paper ``name``: stable across runs, independent of the
    order studies run in."""
    digest = hashlib.sha256(name.encode()).digest()
    return [seed, int.from_bytes(digest[:8], "little")]


@dataclass(frozen=True)
class RunContext:
    """What a study run gets: the scale, its own random generator, the parameters, and the seed
    of its paper's shared draws (see :meth:`paper_rng`)."""

    scale: Scale
    rng: np.random.Generator
    params: Registry
    paper_seed: Sequence[int] = (0,)

    def paper_rng(self) -> np.random.Generator:
        """A fresh generator whose draws are the same in every study of the paper: studies that
        report different metrics of one experiment run the same experiment (and share what they
        simulate). ``run_study`` seeds it from the run's seed and the paper's name."""
        return np.random.default_rng(list(self.paper_seed))

    @property
    def quick(self) -> bool:
        return self.scale == "quick"


@dataclass(frozen=True)
class Study:
    """One claim of one paper.

    ``evidence``: what the value is (see the module docstring). ``boundary``: what the energy
    figure includes and excludes. ``inputs_from_paper`` names every input taken from the paper
    it checks. ``modelled``: an optional cheap ``fn(ctx) -> float`` computing the same value from
    the model, used by the sensitivity pass instead of rerunning a costly ``run``. ``expected_s``:
    a rough quick-scale wall time on 2 cores, which orders a first run longest first (later runs
    use the measured time); only a study that takes several seconds needs one.
    """

    id: str
    paper: str
    arxiv: str
    claim: Claim
    run: Callable[[RunContext], Outcome]
    evidence: Evidence | None = None
    boundary: str = ""
    inputs_from_paper: Sequence[str] = ()
    modelled: Callable[[RunContext], float | None] | None = None
    version: int = 1
    expected_s: float = 0.0

    @property
    def paper_id(self) -> str:
        """The id's paper part, before the first '.' (``--only`` selects a paper by it)."""
        return self.id.split(".", 1)[0]

    def __post_init__(self) -> None:
        if not self.id or not all(c.isalnum() or c in "-_." for c in self.id) \
                or self.id.startswith("."):
            raise StudyError(f"study id '{self.id}' must be non-empty letters, digits, '-', '_', '.'"
                             " and must not start with '.'")
        bad = list(self.claim.problems())
        if self.evidence is None:
            bad.append(f"evidence: missing; say what the value is: {', '.join(EVIDENCE_KINDS)}")
        elif self.evidence not in EVIDENCE_KINDS:
            bad.append(f"evidence: {self.evidence!r} is not one of {', '.join(EVIDENCE_KINDS)}")
        if not self.boundary:
            bad.append("boundary: missing; say what the energy figure includes and excludes")
        if self.modelled is not None and not callable(self.modelled):
            bad.append("modelled: must be a function fn(ctx) -> float")
        if bad:
            raise StudyError(f"study '{self.id}': " + "; ".join(bad))

    def assess(self, out: Outcome) -> Judgement:
        """The framework's verdict on an outcome of this study (its evidence and interval used)."""
        bad = out.problems()
        if bad:
            raise StudyError(f"study '{self.id}': " + "; ".join(bad))
        interval = None if out.interval is None else (float(out.interval[0]), float(out.interval[1]))
        return self.claim.assess(out.value, interval, out.evidence or self.evidence or "modelled")


def _collect(module: Any, where: str) -> list[Study]:
    found = getattr(module, "STUDIES", None)
    if found is None:
        return []
    if not all(isinstance(s, Study) for s in found):
        raise StudyError(f"{where}: STUDIES must be a list of wattlab.study.Study")
    return list(found)


def all_studies() -> dict[str, Study]:
    """Every registered study, by id, in a stable order."""
    pkg = importlib.import_module(BUILTIN)  # a plugin package like any other: found by name
    studies: list[Study] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        name = f"{pkg.__name__}.{info.name}"
        studies += _collect(importlib.import_module(name), name)
    for ep in entry_points(group="wattlab.studies"):
        studies += _collect(ep.load(), f"entry point {ep.name}")
    for name in filter(None, os.environ.get("WATTLAB_STUDIES", "").split(",")):
        try:
            module = importlib.import_module(name.strip())
        except Exception as exc:  # ImportError, SyntaxError, or whatever the module raised
            raise StudyError(f"WATTLAB_STUDIES names module '{name}', which cannot be imported "
                             f"({type(exc).__name__}: {exc}); fix the module, its name or "
                             "PYTHONPATH") from exc
        studies += _collect(module, f"WATTLAB_STUDIES module {name}")
    out: dict[str, Study] = {}
    for s in studies:
        if s.id in out:
            raise StudyError(f"study id '{s.id}' is registered twice; ids must be unique")
        out[s.id] = s
    return out


def select(ids: Sequence[str] | None, registry: Mapping[str, Study] | None = None) -> list[Study]:
    """The studies named (all when ``ids`` is empty); an unknown id is an error naming the known ones."""
    known = dict(registry) if registry is not None else all_studies()
    if not ids:
        return list(known.values())
    chosen: list[Study] = []
    for i in ids:
        matches = [s for k, s in known.items() if k == i or k.startswith(i + ".")]
        if not matches:
            raise StudyError(f"unknown study id '{i}'; known ids: {', '.join(known)} "
                             "(a paper prefix such as 'idle-waiting' selects all its studies)")
        chosen += [m for m in matches if m not in chosen]
    return chosen
