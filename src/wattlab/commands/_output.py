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

from typing import Any

from rich.console import Console


def literal_console(*, stderr: bool = False, **kw: Any) -> Console:
    """A rich Console that reads no markup and no emoji codes in the strings it prints.

    ``markup=True`` on one ``print`` call still enables markup for that call (use it only for
    constant text). Other keyword arguments go to :class:`rich.console.Console`.
    """
    kw.setdefault("markup", False)
    kw.setdefault("emoji", False)
    return Console(stderr=stderr, **kw)


__all__ = ["literal_console"]
