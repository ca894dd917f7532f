"""Printing for every ``wattlab`` command: text is literal, never rich markup.

Commands print user and data text all the time: file paths, study ids and claims, parameter
keys and values from TOML files, trace and job names, dimension names of a space file,
exception messages that quote input. Rich reads ``[...]`` in a string as markup, so such text
would lose a ``[bold]`` or ``[assumption]`` or stop the command on ``[/x]``. Every command
therefore prints through :func:`literal_console`: strings, table cells, column headers, titles
and captions are shown exactly as given (no markup, no ``:emoji:`` codes). Styling is explicit:
a :class:`rich.text.Text` with a style (``Text.assemble(("unrunnable", "yellow"), ": ", reason)``),
``console.print(text, style=...)``, or ``console.print(CONSTANT, markup=True)`` for a constant
string with markup and no user text in it.

Module names starting with ``_`` are not mounted as commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from rich.console import Console
from rich.table import Table


def literal_console(*, stderr: bool = False, **kw: Any) -> Console:
    """A rich Console that reads no markup and no emoji codes in the strings it prints.

    ``markup=True`` on one ``print`` call still enables markup for that call (use it only for
    constant text). Other keyword arguments go to :class:`rich.console.Console`.
    """
    kw.setdefault("markup", False)
    kw.setdefault("emoji", False)
    return Console(stderr=stderr, **kw)


def rows_table(title: str, rows: Sequence[dict[str, Any]],
               justify: Literal["left", "right"] = "left") -> Table:
    """A table of ``rows`` (dicts with the first row's keys as columns), floats to 4 significant
    digits; no rows: the title and "(no rows)"."""
    t = Table(title=title, caption=None if rows else "(no rows)")
    for col in rows[0] if rows else ():
        t.add_column(str(col), justify=justify)
    for r in rows:
        t.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in r.values()))
    return t


__all__ = ["literal_console", "rows_table"]
