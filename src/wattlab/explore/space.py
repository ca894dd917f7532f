"""Design spaces declared as typed dimensions, enumerated and sampled as NumPy column arrays.

A :class:`Space` is a list of dimensions (:class:`Grid`, :class:`Range`, :class:`Choice`) and
constraints on the configuration (:class:`Constraint`: a vectorised predicate over the columns,
or an expression string such as ``"rows * cols <= 65536"``). Configurations never exist as
Python objects one by one: :meth:`Space.chunk` returns a ``dict`` of column arrays for a range of
flat grid indices, :meth:`Space.sample` a random batch, :meth:`Space.decode` maps the unit cube
(for NSGA-II) onto the dimensions.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import operator
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wattlab.errors import SpecError

Columns = dict[str, np.ndarray]


def _name_ok(name: str, what: str) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise SpecError(f"{what} name {name!r} must be a Python identifier (letters, digits, '_')")
    return name


@dataclass(frozen=True)
class Grid:
    """A dimension taking the listed numeric values (in the order given)."""

    name: str
    values: Sequence[float]

    def __post_init__(self) -> None:
        _name_ok(self.name, "dimension")
        vals = list(self.values) if self.values is not None else []
        if not vals:
            raise SpecError(f"dimension '{self.name}': the grid is empty; give at least one value")
        try:
            arr = np.asarray(vals, dtype=float)
        except (TypeError, ValueError) as e:
            raise SpecError(f"dimension '{self.name}': grid values must be numbers "
                            f"(use Choice for labels), got {vals!r}") from e
        if arr.ndim != 1 or not np.all(np.isfinite(arr)):
            raise SpecError(f"dimension '{self.name}': grid values must be finite numbers, got {vals!r}")
        if len(np.unique(arr)) != len(arr):
            raise SpecError(f"dimension '{self.name}': grid values repeat ({vals!r}); list each once")
        object.__setattr__(self, "values", tuple(vals))

    @property
    def size(self) -> int:
        return len(self.values)

    def column(self, idx: np.ndarray) -> np.ndarray:
        vals = np.asarray(self.values)
        return vals[idx]

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        return self.column(np.minimum((u * self.size).astype(np.int64), self.size - 1))

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.column(rng.integers(0, self.size, n))

    def describe(self) -> dict[str, Any]:
        return {"kind": "grid", "values": [float(v) for v in self.values]}


@dataclass(frozen=True)
class Range:
    """A continuous (or ``integer``) interval ``[lo, hi]``, linear or ``log``-spaced.

    ``n`` is the number of grid points when the space is enumerated exhaustively; random
    sampling and NSGA-II use the whole interval (log-uniform when ``log``)."""

    name: str
    lo: float
    hi: float
    n: int | None = None
    log: bool = False
    integer: bool = False

    def __post_init__(self) -> None:
        _name_ok(self.name, "dimension")
        lo, hi = self.lo, self.hi
        if not (isinstance(lo, int | float) and isinstance(hi, int | float)
                and math.isfinite(lo) and math.isfinite(hi)):
            raise SpecError(f"dimension '{self.name}': range bounds must be finite numbers, "
                            f"got [{lo!r}, {hi!r}]")
        if not lo < hi:
            raise SpecError(f"dimension '{self.name}': range is empty or inverted "
                            f"(lo={lo!r} must be < hi={hi!r})")
        if self.log and lo <= 0:
            raise SpecError(f"dimension '{self.name}': a log range needs lo > 0, got lo={lo!r}")
        if self.n is not None and (not isinstance(self.n, int) or self.n < 2):
            raise SpecError(f"dimension '{self.name}': n (grid points) must be an integer >= 2, "
                            f"got {self.n!r}")
        if self.integer and math.floor(hi) < math.ceil(lo):
            raise SpecError(f"dimension '{self.name}': integer range [{lo}, {hi}] holds no integer")

    @property
    def size(self) -> int:
        if self.n is None:
            raise SpecError(f"dimension '{self.name}': a Range needs n (grid points) to be "
                            "enumerated; give n=..., or use method='random' or 'nsga2'")
        return len(self.grid_values())

    def grid_values(self) -> np.ndarray:
        n = self.n or 2
        v = (np.geomspace(self.lo, self.hi, n) if self.log else np.linspace(self.lo, self.hi, n))
        return np.unique(np.round(v)) if self.integer else v

    def column(self, idx: np.ndarray) -> np.ndarray:
        return self.grid_values()[idx]

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        if self.log:
            v = np.exp(np.log(self.lo) + u * (np.log(self.hi) - np.log(self.lo)))
        else:
            v = self.lo + u * (self.hi - self.lo)
        return np.clip(np.round(v), math.ceil(self.lo), math.floor(self.hi)) if self.integer else v

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.from_unit(rng.random(n))

    def describe(self) -> dict[str, Any]:
        return {"kind": "range", "lo": self.lo, "hi": self.hi, "n": self.n, "log": self.log,
                "integer": self.integer}


@dataclass(frozen=True)
class Choice:
    """A categorical dimension (labels such as memory technologies); columns hold the labels."""

    name: str
    options: Sequence[Any]

    def __post_init__(self) -> None:
        _name_ok(self.name, "dimension")
        opts = list(self.options) if self.options is not None else []
        if not opts:
            raise SpecError(f"dimension '{self.name}': no options; give at least one choice")
        if len({repr(o) for o in opts}) != len(opts):
            raise SpecError(f"dimension '{self.name}': options repeat ({opts!r}); list each once")
        kinds = {type(o) for o in opts}
        if len(kinds) > 1 and not kinds <= {int, float}:
            raise SpecError(f"dimension '{self.name}': options mix types "
                            f"{sorted(k.__name__ for k in kinds)}; use one type (all labels or all numbers)")
        object.__setattr__(self, "options", tuple(opts))

    @property
    def size(self) -> int:
        return len(self.options)

    def column(self, idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.options)[idx]

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        return self.column(np.minimum((u * self.size).astype(np.int64), self.size - 1))

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.column(rng.integers(0, self.size, n))

    def describe(self) -> dict[str, Any]:
        return {"kind": "choice", "options": [o if isinstance(o, str | int | float) else repr(o)
                                              for o in self.options]}


Dimension = Grid | Range | Choice

# -- expressions: "rows * cols <= 65536" evaluated on column arrays --------------------------

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod,
        ast.FloorDiv: operator.floordiv}
_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
        ast.Eq: operator.eq, ast.NotEq: operator.ne}
_FUNCS: dict[str, Callable[..., Any]] = {"log": np.log, "log2": np.log2, "log10": np.log10,
                                         "sqrt": np.sqrt, "abs": np.abs, "min": np.minimum,
                                         "max": np.maximum, "ceil": np.ceil, "floor": np.floor}


class Expr:
    """A small arithmetic/comparison expression over column names, evaluated vectorised.

    Allowed: numbers, quoted labels, names, ``+ - * / // % **``, comparisons (chained),
    ``and``/``or``/``not``, and the functions ``log log2 log10 sqrt abs min max ceil floor``."""

    def __init__(self, text: str, where: str = "expression") -> None:
        self.text, self.where = text, where
        try:
            self.tree = ast.parse(text, mode="eval").body
        except SyntaxError as e:
            raise SpecError(f"{where}: cannot parse {text!r}: {e.msg}") from e
        self.names: set[str] = set()
        self._check(self.tree)

    def _check(self, node: ast.AST) -> None:
        ok = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Name, ast.Constant, ast.Call,
              ast.Load, ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or, *_BIN, *_CMP)
        if not isinstance(node, ok):
            raise SpecError(f"{self.where}: {type(node).__name__} is not allowed in {self.text!r}")
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in _FUNCS) or node.keywords:
                raise SpecError(f"{self.where}: only the functions {sorted(_FUNCS)} may be called "
                                f"in {self.text!r}")
            for a in node.args:
                self._check(a)
            return
        if isinstance(node, ast.Name):
            self.names.add(node.id)
        for child in ast.iter_child_nodes(node):
            self._check(child)

    def __call__(self, cols: Mapping[str, Any]) -> Any:
        missing = self.names - set(cols)
        if missing:
            raise SpecError(f"{self.where}: {self.text!r} names {sorted(missing)}, which are not "
                            f"among {sorted(cols)}")
        return self._eval(self.tree, cols)

    def _eval(self, n: ast.AST, cols: Mapping[str, Any]) -> Any:
        if isinstance(n, ast.Constant):
            return n.value
        if isinstance(n, ast.Name):
            return cols[n.id]
        if isinstance(n, ast.BinOp):
            return _BIN[type(n.op)](self._eval(n.left, cols), self._eval(n.right, cols))
        if isinstance(n, ast.UnaryOp):
            v = self._eval(n.operand, cols)
            if isinstance(n.op, ast.Not):
                return np.logical_not(v)
            return -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.BoolOp):
            vals = [self._eval(v, cols) for v in n.values]
            f = np.logical_and if isinstance(n.op, ast.And) else np.logical_or
            out = vals[0]
            for v in vals[1:]:
                out = f(out, v)
            return out
        if isinstance(n, ast.Compare):
            left, out = self._eval(n.left, cols), True
            for op, comp in zip(n.ops, n.comparators, strict=True):
                right = self._eval(comp, cols)
                out = np.logical_and(out, _CMP[type(op)](left, right))
                left = right
            return out
        if isinstance(n, ast.Call):
            assert isinstance(n.func, ast.Name)
            return _FUNCS[n.func.id](*(self._eval(a, cols) for a in n.args))
        raise SpecError(f"{self.where}: cannot evaluate {self.text!r}")  # pragma: no cover


@dataclass(frozen=True)
class Constraint:
    """A predicate on configurations (before evaluation): ``fn(cols) -> bool array``, or an
    expression string. Points where it is False are excluded and counted under ``name``."""

    name: str
    predicate: Callable[[Columns], np.ndarray] | str
    uses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.predicate, str):
            e = Expr(self.predicate, f"constraint '{self.name}'")
            object.__setattr__(self, "predicate", e)
            object.__setattr__(self, "uses", tuple(sorted(e.names)))
        elif not callable(self.predicate):
            raise SpecError(f"constraint '{self.name}': the predicate must be callable or an "
                            f"expression string, got {type(self.predicate).__name__}")

    def __call__(self, cols: Columns) -> np.ndarray:
        n = len(next(iter(cols.values()))) if cols else 0
        out = np.asarray(self.predicate(cols))  # type: ignore[operator]
        if out.shape == ():
            out = np.full(n, bool(out))
        if out.shape != (n,):
            raise SpecError(f"constraint '{self.name}' returned shape {out.shape}, expected ({n},)")
        return out.astype(bool)

    def describe(self) -> str:
        p = self.predicate
        return p.text if isinstance(p, Expr) else getattr(p, "__qualname__", repr(p))


@dataclass(frozen=True)
class Space:
    """A design space: named dimensions and configuration constraints."""

    dims: Sequence[Dimension]
    constraints: Sequence[Constraint] = ()
    name: str = "space"
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        dims = tuple(self.dims)
        if not dims:
            raise SpecError(f"space '{self.name}' has no dimensions; declare at least one")
        names = [d.name for d in dims]
        for d in dims:
            if not isinstance(d, Grid | Range | Choice):
                raise SpecError(f"space '{self.name}': {d!r} is not a Grid, Range or Choice")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SpecError(f"space '{self.name}': dimension(s) {dup} declared more than once")
        clash = sorted(set(names) & set(self.fixed))
        if clash:
            raise SpecError(f"space '{self.name}': {clash} are both dimensions and fixed values")
        cons = tuple(c if isinstance(c, Constraint) else Constraint(f"c{i}", c)
                     for i, c in enumerate(self.constraints))
        known = set(names) | set(self.fixed)
        for c in cons:
            bad = sorted(set(c.uses) - known)
            if bad:
                raise SpecError(f"constraint '{c.name}' ({c.describe()}) names {bad}, which are "
                                f"not dimensions of space '{self.name}' (dimensions: {names})")
        object.__setattr__(self, "dims", dims)
        object.__setattr__(self, "constraints", cons)
        object.__setattr__(self, "fixed", dict(self.fixed))

    # -- shape ---------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dims]

    def dim(self, name: str) -> Dimension:
        for d in self.dims:
            if d.name == name:
                return d
        raise SpecError(f"space '{self.name}' has no dimension '{name}' (it has {self.names})")

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(d.size for d in self.dims)

    @property
    def size(self) -> int:
        """Number of grid points (before constraints)."""
        return int(np.prod(self.shape, dtype=np.int64))

    # -- configurations ------------------------------------------------------------------
    def _with_fixed(self, cols: Columns, n: int) -> Columns:
        for k, v in self.fixed.items():
            cols[k] = np.full(n, v)
        return cols

    def chunk(self, start: int, stop: int) -> Columns:
        """Grid points ``start:stop`` of the flattened (C-order) grid, as columns."""
        idx = np.arange(start, min(stop, self.size), dtype=np.int64)
        digits = np.unravel_index(idx, self.shape) if len(idx) else [idx] * len(self.dims)
        cols = {d.name: d.column(i) for d, i in zip(self.dims, digits, strict=True)}
        return self._with_fixed(cols, len(idx))

    def grid(self) -> Columns:
        """Every grid point (use :meth:`chunk` for large spaces)."""
        return self.chunk(0, self.size)

    def sample(self, n: int, rng: np.random.Generator) -> Columns:
        """``n`` random configurations (uniform per dimension; log-uniform for log ranges)."""
        return self._with_fixed({d.name: d.random(rng, n) for d in self.dims}, n)

    def decode(self, u: np.ndarray) -> Columns:
        """Map points of the unit cube (rows of ``u``, one column per dimension) to columns."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        return self._with_fixed({d.name: d.from_unit(u[:, j]) for j, d in enumerate(self.dims)},
                                len(u))

    def feasible(self, cols: Columns) -> tuple[np.ndarray, dict[str, int]]:
        """Mask of configurations meeting every constraint, and how many each one excluded."""
        n = len(next(iter(cols.values())))
        ok = np.ones(n, dtype=bool)
        excluded: dict[str, int] = {}
        for c in self.constraints:
            m = c(cols)
            excluded[c.name] = int(np.count_nonzero(~m))
            ok &= m
        return ok, excluded

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "dims": {d.name: d.describe() for d in self.dims},
                "constraints": {c.name: c.describe() for c in self.constraints},
                "fixed": {k: v if isinstance(v, str | int | float) else repr(v)
                          for k, v in self.fixed.items()}}

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.describe(), sort_keys=True,
                                         default=repr).encode()).hexdigest()[:16]

    # -- files ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], where: str = "space") -> Space:
        """Build from a mapping (the TOML layout of :meth:`from_file`)."""
        dims_spec = spec.get("dims")
        if not isinstance(dims_spec, Mapping) or not dims_spec:
            raise SpecError(f"{where}: needs a [dims] table with at least one dimension")
        dims: list[Dimension] = []
        for name, d in dims_spec.items():
            if not isinstance(d, Mapping):
                raise SpecError(f"{where}: dimension '{name}' must be a table "
                                "(grid = [...], range = [lo, hi] or choice = [...])")
            kinds = [k for k in ("grid", "range", "choice") if k in d]
            if len(kinds) != 1:
                raise SpecError(f"{where}: dimension '{name}' needs exactly one of grid, range, "
                                f"choice (got {sorted(d)})")
            if "grid" in d:
                dims.append(Grid(name, d["grid"]))
            elif "choice" in d:
                dims.append(Choice(name, d["choice"]))
            else:
                r = d["range"]
                if not (isinstance(r, list) and len(r) == 2):
                    raise SpecError(f"{where}: dimension '{name}': range must be [lo, hi], got {r!r}")
                dims.append(Range(name, r[0], r[1], n=d.get("n"), log=bool(d.get("log", False)),
                                  integer=bool(d.get("integer", False))))
        cons_spec = spec.get("constraints", {})
        if not isinstance(cons_spec, Mapping):
            raise SpecError(f"{where}: [constraints] must map a name to an expression string")
        cons = [Constraint(str(k), str(v)) for k, v in cons_spec.items()]
        return cls(dims, cons, name=str(spec.get("name", where)), fixed=dict(spec.get("fixed", {})))

    @classmethod
    def from_file(cls, path: str | Path) -> Space:
        """Read a TOML space file::

            name = "my-npu"
            [dims]
            onchip_mb = { grid = [0, 128, 512] }
            offchip = { choice = ["hbm3", "lpddr5x"] }
            clock_hz = { range = [0.5e9, 2e9], n = 4, log = true }
            [constraints]
            small = "onchip_mb <= 1024"
        """
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text())
        except FileNotFoundError as e:
            raise SpecError(f"space file {p} does not exist") from e
        except tomllib.TOMLDecodeError as e:
            raise SpecError(f"space file {p}: not valid TOML ({e})") from e
        return cls.from_dict(data.get("space", data), where=f"space file {p}")


__all__ = ["Choice", "Columns", "Constraint", "Dimension", "Expr", "Grid", "Range", "Space"]
