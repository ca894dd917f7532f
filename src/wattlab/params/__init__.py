"""The parameter registry: every physical constant wattlab uses, with its source.

Data files (``params/data/*.toml``, shipped as package data) hold entries such as::

    [sources.horowitz2014]
    citation = "M. Horowitz, Computing's energy problem, ISSCC 2014"
    url = "https://doi.org/10.1109/ISSCC.2014.6757323"

    [params."horowitz45.int8_add"]
    value = 0.03
    unit = "pJ"
    source = "horowitz2014"
    locator = "Fig. 1.1.9"
    evidence = "published"      # measured | published | derived | assumed
    node_nm = 45
    min = 0.0                   # valid range, in the entry's own unit
    max = 1.0

Values are converted to SI on load. A user file in the same format layers over the defaults:
it may change any entry (the unit's dimension must stay) or add new ones.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from wattlab.errors import ParamError, SpecError
from wattlab.units import to_si

Evidence = Literal["measured", "published", "derived", "assumed"]
SCHEMA_VERSION = 1
#: Key prefixes of the hardware catalogue (devices, memory technologies, operation energies).
CATALOGUE_PREFIXES = ("dev.", "mem.", "op45.")


@dataclass(frozen=True)
class Source:
    """Where a value comes from: a citation and a URL/DOI."""

    key: str
    citation: str
    url: str


@dataclass(frozen=True)
class Param:
    """One sourced constant. ``value`` is in SI (``unit``); ``given`` is how the file wrote it."""

    key: str
    value: float
    unit: str
    given: str
    source: Source
    locator: str
    evidence: Evidence
    node_nm: float | None = None
    voltage_v: float | None = None
    valid_range: tuple[float, float] = (-math.inf, math.inf)
    note: str = ""
    file: str = ""

    def cite(self) -> str:
        """One-line provenance: citation, locator and evidence label."""
        return f"{self.source.citation}, {self.locator} [{self.evidence}] <{self.source.url}>"


@dataclass(frozen=True)
class Registry(Mapping[str, Param]):
    """An immutable set of parameters, looked up by key."""

    params: Mapping[str, Param] = field(default_factory=dict)
    #: When set, every key looked up is recorded here (the report lists the sources used).
    used: set[str] | None = field(default=None, compare=False, repr=False)
    _digest: list[str] = field(default_factory=list, init=False, compare=False, repr=False)

    def __getitem__(self, key: str) -> Param:
        try:
            p = self.params[key]
            if self.used is not None:
                self.used.add(key)
            return p
        except KeyError:
            close = difflib.get_close_matches(key, self.params, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; see `wattlab params list`"
            raise ParamError(f"unknown parameter '{key}'{hint}") from None

    def __contains__(self, key: object) -> bool:
        return key in self.params

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.params))

    def __len__(self) -> int:
        return len(self.params)

    def value(self, key: str) -> float:
        """The SI value of ``key``."""
        return self[key].value

    def values(self, *keys: str) -> tuple[float, ...]:  # type: ignore[override]
        """SI values of several keys, in order (replaces Mapping.values: name the keys)."""
        if not keys:
            raise ParamError("Registry.values() needs the keys to look up; iterate "
                             "registry.params.values() for every Param")
        return tuple(self[k].value for k in keys)

    def subset(self, *keys: str) -> dict[str, Param]:
        """The named parameters, for a Cost's ``sources``."""
        return {k: self[k] for k in keys}

    def with_value(self, key: str, value: float, why: str) -> Registry:
        """A copy with ``key`` set to an SI ``value`` (labelled ``assumed``: ``why``); range-checked."""
        p = self[key]
        _check_range(p.key, value, p.valid_range, p.file or "override")
        new = replace(p, value=float(value), evidence="assumed", note=why,
                      given=f"{value:g} {p.unit} (set: {why})")
        return Registry({**self.params, key: new}, self.used)

    def only(self, prefix: str) -> Registry:
        """A view of the keys that start with ``prefix`` (lookups still recorded in ``used``): a
        function given it can read nothing else, so a memo keyed on its values is exact."""
        return Registry({k: p for k, p in self.params.items() if k.startswith(prefix)}, self.used)

    def tracking(self) -> Registry:
        """A view that records every key looked up in ``.used``."""
        view = Registry(self.params, set())
        view._digest[:] = self._digest  # the same parameters: the same digest
        return view

    def digest(self) -> str:
        """A stable hash of every parameter's value, unit *and* provenance (citation, URL,
        locator, evidence, note, file, range), for caches: a changed citation in a user's file
        invalidates cached records that quote it. Computed once per registry."""
        if self._digest:
            return self._digest[0]
        import json

        h = hashlib.sha256()
        for k in sorted(self.params):
            p = self.params[k]
            d = {**describe(p), "file": p.file, "valid_range": [repr(x) for x in p.valid_range]}
            h.update(json.dumps(d, sort_keys=True, default=repr).encode())
        self._digest.append(h.hexdigest()[:16])
        return self._digest[0]


def _check_range(key: str, value: float, rng: tuple[float, float], where: str) -> None:
    lo, hi = rng
    if not lo <= value <= hi:
        raise ParamError(f"{where}: entry '{key}', field 'value': {value:g} is outside the valid "
                         f"range [{lo:g}, {hi:g}] (SI); correct the value or the range")


def _parse_file(text: str, where: str, known_sources: Mapping[str, Source]) -> dict[str, Param]:
    from pydantic import ValidationError  # imported here: pydantic costs ~0.1 s at import time

    from wattlab.params._schema import ParamSpec, SourceSpec

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParamError(f"{where}: not valid TOML ({exc}); fix the syntax at the position shown") from exc
    for table in ("meta", "sources", "params"):
        if not isinstance(raw.get(table, {}), dict):
            raise ParamError(f"{where}: '{table}' must be a table ([{table}...] sections), "
                             f"not {type(raw[table]).__name__}")
    for table in ("sources", "params"):
        for k, v in raw.get(table, {}).items():
            if not isinstance(v, dict):
                raise ParamError(f"{where}: {table} entry '{k}' must be a table "
                                 f'([{table}."{k}"] with its fields), not {type(v).__name__}')
    unknown = set(raw) - {"schema", "meta", "sources", "params"}
    if unknown:
        raise ParamError(f"{where}: unknown top-level table(s) {sorted(unknown)}; "
                         "allowed: schema, meta, sources, params")
    if raw.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise ParamError(f"{where}: field 'schema' is {raw['schema']!r}; this wattlab reads "
                         f"schema {SCHEMA_VERSION}")
    sources = dict(known_sources)
    for skey, sraw in raw.get("sources", {}).items():
        try:
            spec = SourceSpec.model_validate(sraw)
        except ValidationError as exc:
            raise ParamError(f"{where}: source '{skey}': {_first_error(exc)}") from None
        sources[skey] = Source(skey, spec.citation, spec.url)
    out: dict[str, Param] = {}
    for key, praw in raw.get("params", {}).items():
        try:
            pspec = ParamSpec.model_validate(praw)
        except ValidationError as exc:
            raise ParamError(f"{where}: entry '{key}', {_first_error(exc)}") from None
        if pspec.source not in sources:
            raise ParamError(f"{where}: entry '{key}', field 'source': '{pspec.source}' is not "
                             f"defined; add a [sources.{pspec.source}] table with citation and url")
        try:
            value, unit = to_si(pspec.value, pspec.unit)
            lo = to_si(pspec.min, pspec.unit)[0] if pspec.min is not None else -math.inf
            hi = to_si(pspec.max, pspec.unit)[0] if pspec.max is not None else math.inf
        except SpecError as exc:
            raise ParamError(f"{where}: entry '{key}', field 'unit': {exc}") from None
        if not math.isfinite(value):
            raise ParamError(f"{where}: entry '{key}', field 'value': {pspec.value:g} {pspec.unit} "
                             "is not a finite number in SI; use a value within range")
        _check_range(key, value, (lo, hi), where)
        if key.startswith(CATALOGUE_PREFIXES) and value < 0:
            raise ParamError(f"{where}: entry '{key}', field 'value': {pspec.value:g} {pspec.unit} "
                             "is negative; catalogue quantities (energy, power, bandwidth, "
                             "capacity, rate) must be >= 0")
        out[key] = Param(key=key, value=value, unit=unit, given=f"{pspec.value:.12g} {pspec.unit}",
                         source=sources[pspec.source], locator=pspec.locator,
                         evidence=pspec.evidence, node_nm=pspec.node_nm, voltage_v=pspec.voltage_v,
                         valid_range=(lo, hi), note=pspec.note, file=where)
    return out


def _first_error(exc: Any) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"]) or "(entry)"
    return f"field '{loc}': {err['msg']}"


def _default_files() -> Iterable[tuple[str, str]]:
    data = resources.files("wattlab.params") / "data"
    for f in sorted(data.iterdir(), key=lambda t: t.name):
        if f.name.endswith(".toml"):
            yield f"wattlab/params/data/{f.name}", f.read_text(encoding="utf-8")


@cache
def default_registry() -> Registry:
    """The registry shipped with wattlab."""
    params: dict[str, Param] = {}
    sources: dict[str, Source] = {}
    for where, text in _default_files():
        for key, p in _parse_file(text, where, sources).items():
            if key in params:
                raise ParamError(f"{where}: entry '{key}' is already defined in {params[key].file}; "
                                 "each default key lives in one file")
            params[key] = p
            sources[p.source.key] = p.source
    return Registry(params)


@cache
def renamed_keys() -> dict[str, str]:
    """Keys merged away or moved by the catalogue's unification -> where the quantity lives now."""
    text = (resources.files("wattlab.params") / "renamed.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text)["renamed"])


def _check_not_renamed(path: Path, keys: Iterable[str]) -> None:
    renamed = renamed_keys()
    for key in keys:
        if key in renamed:
            now = renamed[key]
            fix = (f"set '{now}' instead" if "." in now and " " not in now
                   else f"it is no longer a default ({now}); remove it or give it a new name")
            raise ParamError(f"{path}: entry '{key}' was merged away when the hardware catalogue "
                             f"was unified; {fix}")


def load_registry(overrides: Iterable[str | Path] = ()) -> Registry:
    """The default registry with user files layered over it, in order."""
    reg = default_registry()
    for path in overrides:
        path = Path(path)
        if not path.is_file():
            raise ParamError(f"parameter file '{path}' does not exist; pass an existing TOML file")
        known = {p.source.key: p.source for p in reg.params.values()}
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ParamError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save "
                             "the file as UTF-8") from None
        except OSError as exc:
            raise ParamError(f"parameter file '{path}' cannot be read ({exc.strerror})") from None
        layer = _parse_file(text, str(path), known)
        _check_not_renamed(path, layer)
        for key, p in layer.items():
            if key in reg.params and reg.params[key].unit != p.unit:
                raise ParamError(f"{path}: entry '{key}', field 'unit': '{p.given}' is {p.unit} but "
                                 f"the default is {reg.params[key].unit}; use a unit of that dimension")
            if key in reg.params:
                layer[key] = _keep_range(reg.params[key], p, text, str(path))
        reg = Registry({**reg.params, **layer})
    return reg


def _keep_range(default: Param, new: Param, text: str, where: str) -> Param:
    """An override keeps the default's valid range (and the default's sign when that range is
    open on that side) unless it states a wider range together with a ``note`` saying why.
    A range inside the default's needs no reason."""
    spec = tomllib.loads(text)["params"][new.key]
    lo, hi = default.valid_range
    if lo == -math.inf and default.value > 0:
        lo = 0.0  # a positive default keeps its sign
    elif hi == math.inf and default.value < 0:
        hi = 0.0
    if "min" in spec or "max" in spec:
        n_lo = new.valid_range[0] if "min" in spec else lo
        n_hi = new.valid_range[1] if "max" in spec else hi
        if (n_lo < lo or n_hi > hi) and not str(spec.get("note", "")).strip():
            raise ParamError(f"{where}: entry '{new.key}' widens the valid range from "
                             f"[{lo:g}, {hi:g}] to [{n_lo:g}, {n_hi:g}] (SI); add a field 'note' "
                             "saying why the default's range does not hold")
        lo, hi = n_lo, n_hi
    _check_range(new.key, new.value, (lo, hi), where)
    return replace(new, valid_range=(lo, hi))


def describe(p: Param) -> dict[str, Any]:
    """A plain-dict view of a parameter, for JSON and reports."""
    return {"key": p.key, "value": p.value, "unit": p.unit, "given": p.given,
            "evidence": p.evidence, "citation": p.source.citation, "url": p.source.url,
            "locator": p.locator, "node_nm": p.node_nm, "note": p.note}


__all__ = [
    "Evidence",
    "Param",
    "Registry",
    "Source",
    "default_registry",
    "describe",
    "load_registry",
    "renamed_keys",
]
