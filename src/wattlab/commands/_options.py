"""Shared option types and validators for every ``wattlab`` command (one place for input checks).

A command declares an option with one of these types, e.g.::

    from wattlab.commands._options import Count, Seed, finite, out_file

    def bench(seed: Seed = 0, batch: Annotated[int, Count(1, 4096, "independent NTTs")] = 1): ...

Bad input is a ``click.BadParameter`` (exit 2, the option named, no traceback). On top of the
explicit types, :func:`harden` is applied to the whole command tree by ``wattlab.cli``: every
float option rejects NaN and ±inf, and every option called ``seed`` takes 0 .. 2**32 − 1, so a
command added later gets these checks without doing anything.

Module names starting with ``_`` are not mounted as commands. (``reproduce --out`` is checked
by ``wattlab.reproduce.check_out_dir``, below this layer.)
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from wattlab.errors import SpecError

#: Largest seed (numpy's SeedSequence takes any non-negative int; 32 bits keep seeds portable).
SEED_MAX = 2**32 - 1
#: Longest path a report or figure may be written to (most filesystems allow 255 per name).
NAME_MAX = 255


class FiniteFloat(click.ParamType):
    """A finite float, optionally within [lo, hi] (``open_lo``/``open_hi`` exclude the bound)."""

    name = "float"

    def __init__(self, lo: float | None = None, hi: float | None = None, *,
                 open_lo: bool = False, open_hi: bool = False, what: str = "") -> None:
        self.lo, self.hi, self.open_lo, self.open_hi, self.what = lo, hi, open_lo, open_hi, what

    def _range(self) -> str:
        lo = "-inf" if self.lo is None else f"{self.lo:g}"
        hi = "inf" if self.hi is None else f"{self.hi:g}"
        return f"{'(' if self.open_lo else '['}{lo}, {hi}{')' if self.open_hi else ']'}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None:
            return None
        try:
            v = float(value)
        except (TypeError, ValueError, OverflowError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        lo_bad = self.lo is not None and (v <= self.lo if self.open_lo else v < self.lo)
        hi_bad = self.hi is not None and (v >= self.hi if self.open_hi else v > self.hi)
        if lo_bad or hi_bad:
            what = f" ({self.what})" if self.what else ""
            self.fail(f"{v:g} is outside {self._range()}{what}", param, ctx)
        return v

    def __repr__(self) -> str:
        return f"FiniteFloat{self._range()}"


class BoundedInt(click.ParamType):
    """A whole number within [lo, hi]; accepts '1e3' when it is exactly whole."""

    name = "integer"

    def __init__(self, lo: int | None = None, hi: int | None = None, what: str = "") -> None:
        self.lo, self.hi, self.what = lo, hi, what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            v = value
        else:
            text = str(value).strip()
            try:
                v = int(text)
            except ValueError:
                try:
                    f = float(text)
                except ValueError:
                    self.fail(f"{value!r} is not a whole number", param, ctx)
                if not math.isfinite(f) or f != int(f):
                    self.fail(f"{value!r} is not a whole number", param, ctx)
                v = int(f)
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            lo = "-inf" if self.lo is None else str(self.lo)
            hi = "inf" if self.hi is None else str(self.hi)
            what = f" ({self.what})" if self.what else ""
            self.fail(f"{v} is outside [{lo}, {hi}]{what}", param, ctx)
        return v

    def __repr__(self) -> str:
        return f"BoundedInt[{self.lo}, {self.hi}]"


class OutFile(click.ParamType):
    """An output file path: its folder exists and is writable, it is not a folder, and its
    extension is one of ``suffixes`` (when given). Checked before any work is done."""

    name = "file"

    def __init__(self, suffixes: Sequence[str] = ()) -> None:
        self.suffixes = tuple(s.lower() for s in suffixes)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None:
            return None
        try:
            return check_out_file(value, self.suffixes)
        except SpecError as exc:
            self.fail(str(exc), param, ctx)


def check_out_file(path: str | os.PathLike[str], suffixes: Sequence[str] = ()) -> Path:
    """``path`` as a Path if a file can be written there, else a SpecError saying why."""
    p = Path(path)
    text = str(p)
    if not text or text in (".", "..") or text.endswith(os.sep):
        raise SpecError(f"'{text}' is a folder, not a file name; give a file such as plot.png")
    if any(len(part.encode()) > NAME_MAX for part in p.parts):
        raise SpecError(f"'{text}' has a path component longer than {NAME_MAX} bytes")
    if suffixes and p.suffix.lower() not in suffixes:
        raise SpecError(f"'{text}' must end in {' or '.join(suffixes)}")
    if p.is_dir():
        raise SpecError(f"'{text}' is a folder; give a file name inside it")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise SpecError(f"the folder of '{text}' ({parent}) does not exist; create it first")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise SpecError(f"'{text}' cannot be written (permission denied); choose another path")
    return p


def finite(lo: float | None = None, hi: float | None = None, help: str = "", *,
           open_lo: bool = False, open_hi: bool = False, **kw: Any) -> Any:
    """A ``typer.Option`` for a finite float within [lo, hi]."""
    return typer.Option(click_type=FiniteFloat(lo, hi, open_lo=open_lo, open_hi=open_hi),
                        help=help, **kw)


def count(lo: int = 1, hi: int | None = None, help: str = "", **kw: Any) -> Any:
    """A ``typer.Option`` for a whole number within [lo, hi] (sizes, counts, lengths)."""
    return typer.Option(click_type=BoundedInt(lo, hi), help=help, **kw)


def out_file(help: str = "", suffixes: Sequence[str] = (), **kw: Any) -> Any:
    """A ``typer.Option`` for an output file (folder must exist; extension checked)."""
    return typer.Option(click_type=OutFile(suffixes), help=help, **kw)


#: Shared annotated types: ``seed: Seed = 0``.
Seed = Annotated[int, typer.Option(click_type=BoundedInt(0, SEED_MAX),
                                   help=f"Random seed, 0 .. {SEED_MAX}.")]
Probability = Annotated[float, finite(0.0, 1.0, "A probability in [0, 1].")]


def parse_grid(text: str, field: str, *, max_points: int = 1000,
               lo: float | None = None, hi: float | None = None) -> list[float]:
    """'start:step:stop' (inclusive) or 'a,b,c' into at most ``max_points`` finite values."""
    try:
        if ":" in text:
            parts = [float(x) for x in text.split(":")]
            if len(parts) != 3:
                raise ValueError
            start, step, stop = parts
            if not all(math.isfinite(x) for x in parts) or step <= 0:
                raise ValueError
            n = math.floor((stop - start) / step + 0.5) + 1 if stop >= start else 0
            if n > max_points:
                raise SpecError(f"{field}: '{text}' has {n} points; at most {max_points} "
                                "(use a larger step)")
            values = [start + i * step for i in range(max(n, 0))]
        else:
            values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SpecError(f"{field}: '{text}' is not 'start:step:stop' (finite, step > 0) or a comma "
                        "list of numbers") from None
    if not values:
        raise SpecError(f"{field}: '{text}' gives no values")
    if len(values) > max_points:
        raise SpecError(f"{field}: {len(values)} values; at most {max_points}")
    for v in values:
        if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f" within [{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
            raise SpecError(f"{field}: {v!r} must be a finite number{rng}")
    return values


def harden(cmd: click.Command) -> click.Command:
    """Apply the house checks to every option of ``cmd`` and its subcommands, in place:
    float options reject NaN/inf, options named ``seed`` take 0 .. 2**32 − 1."""
    for p in cmd.params:
        if isinstance(p.type, click.types.FloatParamType | click.FloatRange) and \
                not isinstance(p.type, FiniteFloat):
            lo = getattr(p.type, "min", None)
            hi = getattr(p.type, "max", None)
            p.type = FiniteFloat(lo, hi, open_lo=getattr(p.type, "min_open", False),
                                 open_hi=getattr(p.type, "max_open", False))
        elif p.name == "seed" and isinstance(p.type, click.types.IntParamType):
            p.type = BoundedInt(0, SEED_MAX, "a random seed")
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            harden(sub)
    return cmd


#: Commands that print no table (progress or files only): no generic ``--json``.
NO_TABLES = {"reproduce"}


def _cell(value: Any) -> Any:
    """A rich table cell as plain JSON: the text as shown, without its styles (a number the
    command added as a number stays one). A string cell is literal text, as the commands print
    it (commands._output.literal_console reads no markup), so a user's ``[bold]`` stays."""
    from rich.text import Text

    if isinstance(value, Text):
        return value.plain
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return str(value)


def table_json(table: Any) -> dict[str, Any]:
    """A ``rich.table.Table`` as {"title", "columns", "rows": [{column: cell}]}."""
    cols = [str(getattr(c.header, "plain", c.header)) for c in table.columns]
    cells = [list(c._cells) for c in table.columns]
    n = max((len(c) for c in cells), default=0)
    rows = [{cols[j]: _cell(cells[j][i]) if i < len(cells[j]) else None
             for j in range(len(cols))} for i in range(n)]
    title = table.title
    return {"title": str(getattr(title, "plain", title)) if title else "", "columns": cols,
            "rows": rows}


def _json_tables(callback: Any) -> Any:
    """Wrap a command callback: with ``--json`` its rich tables become one JSON document on
    stdout; everything else it prints goes to stderr."""
    import contextlib
    import functools
    import json
    import sys

    @functools.wraps(callback)
    def inner(*args: Any, json_tables_: bool = False, **kwargs: Any) -> Any:
        if not json_tables_:
            return callback(*args, **kwargs)
        from rich.console import Console
        from rich.table import Table

        tables: list[dict[str, Any]] = []
        real_print = Console.print

        def print_(self: Console, *objects: Any, **kw: Any) -> None:
            rest = []
            for o in objects:
                if isinstance(o, Table):
                    tables.append(table_json(o))
                else:
                    rest.append(o)
            if rest:
                real_print(self, *rest, **kw)

        out = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):
            Console.print = print_  # type: ignore[method-assign]
            try:
                result = callback(*args, **kwargs)
            finally:
                Console.print = real_print  # type: ignore[method-assign]
        out.write(json.dumps({"tables": tables}, indent=2) + "\n")
        return result

    return inner


def add_json(cmd: click.Command, path: tuple[str, ...] = ()) -> click.Command:
    """Give every leaf command without its own ``--json`` a ``--json`` flag that prints its
    tables as JSON (see :func:`_json_tables`), in place."""
    if isinstance(cmd, click.Group) and (cmd.commands or not cmd.invoke_without_command):
        for name, sub in cmd.commands.items():
            add_json(sub, (*path, name))
        return cmd
    if (path and path[-1] in NO_TABLES) or cmd.callback is None:
        return cmd
    if any("--json" in getattr(p, "opts", ()) for p in cmd.params):
        return cmd
    cmd.params.append(click.Option(["--json", "json_tables_"], is_flag=True, default=False,
                                   help="Print the tables as JSON on stdout instead of text."))
    cmd.callback = _json_tables(cmd.callback)
    return cmd


def iter_commands(cmd: click.Command, path: tuple[str, ...] = ()) -> Iterable[
        tuple[tuple[str, ...], click.Command]]:
    """Every leaf command under ``cmd`` with its name path (for the fuzz suite and docs);
    lazily mounted commands are loaded first."""
    if isinstance(cmd, click.Group):
        load_all = getattr(cmd, "load_all", None)
        if load_all is not None:
            load_all()
        if cmd.invoke_without_command and path:
            yield path, cmd
        for name, sub in sorted(cmd.commands.items()):
            yield from iter_commands(sub, (*path, name))
    else:
        yield path, cmd


__all__ = ["SEED_MAX", "BoundedInt", "FiniteFloat", "OutFile", "Probability", "Seed",
           "add_json", "check_out_file", "count", "finite", "harden", "iter_commands",
           "out_file", "parse_grid"]
