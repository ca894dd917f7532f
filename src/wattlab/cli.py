"""The ``wattlab`` command.

Exit codes: 0 success; 1 a study failed (``reproduce``); 2 bad input (a message names the field
and the fix, never a traceback); 130 interrupted (finished studies are kept: resume with the
same command). User text and hints are printed literally, never parsed as markup.
"""

from __future__ import annotations

import importlib
import math
import os
import pkgutil
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from wattlab.commands._options import SEED_MAX, BoundedInt, add_json, harden
from wattlab.commands._output import literal_console
from wattlab.errors import StudyError, WattlabError

#: Command name -> module of the commands mounted lazily (filled by _mount_commands).
LAZY: dict[str, str] = {}


class LazyGroup(TyperGroup):
    """The top-level group: ``wattlab.commands`` modules are imported on first use, then get
    the house checks and ``--json`` like the rest of the tree (see :func:`command`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY and cmd_name not in self.commands:
            self.commands[cmd_name] = _load_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def load_all(self) -> None:
        """Import every lazily mounted command (for tools that walk the whole tree)."""
        for name in LAZY:
            if name not in self.commands:
                self.commands[name] = _load_command(name)


def _load_command(name: str) -> click.Command:
    mod = importlib.import_module(LAZY[name])
    holder = typer.Typer()
    holder.add_typer(mod.app, name=name)  # exactly as app.add_typer would mount it
    group = typer.main.get_command(holder)
    assert isinstance(group, click.Group)
    return add_json(harden(group.commands[name]), (name,))


app = typer.Typer(help="wattlab: an energy-efficiency lab for AI/ML.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False, cls=LazyGroup)
params_app = typer.Typer(help="The parameter registry: values with their sources.",
                         no_args_is_help=True)
app.add_typer(params_app, name="params")
#: Prints user and data text literally (see commands._output); markup only where asked for.
console = literal_console()

ParamFiles = Annotated[list[Path] | None, typer.Option(
    "--params", help="A TOML parameter file layered over the defaults (repeatable).")]


@app.command()
def reproduce(
    quick: Annotated[bool, typer.Option("--quick/--full", help="Reduced or full scale.")] = True,
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Study id or paper prefix to run (repeatable); all by default.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Report folder.")] = Path("wattlab-report"),
    jobs: Annotated[int | None, typer.Option(
        "--jobs", show_default=False,
        help="Papers run in parallel processes \\[default: one per core, at most one per 2 GiB "
             "of memory].")] = None,
    seed: Annotated[int, typer.Option(
        "--seed", click_type=BoundedInt(0, SEED_MAX),
        help="Base seed (0 .. 2**32-1); each study derives its own.")] = 0,
    params: ParamFiles = None,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Ray cluster address (needs wattlab\\[dist]).")] = None,
) -> None:
    """Run the studies and write report.md, report.html and results.json.

    Each finished study prints its verdict and wall time; finished studies are cached in
    OUT/.cache, so an interrupted run resumes with the same command.

    Example: wattlab reproduce --quick --jobs 2 --only photonic --out wattlab-report
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from wattlab.report import verdict_label
    from wattlab.reproduce import reproduce as run
    from wattlab.study import select

    n = len(select(only))
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                  MofNCompleteColumn(), console=console, transient=True) as bar:
        task = bar.add_task("studies", total=n)

        def done(rec: dict[str, Any], cached: bool) -> None:
            tag = " (cached)" if cached else f" ({float(rec.get('wall_s') or 0.0):.1f} s)"
            bar.console.print(Text(f"{rec['id']}: {verdict_label(rec)}{tag}"), soft_wrap=True)
            bar.advance(task)

        records = run(only, scale="quick" if quick else "full", out=out, jobs=jobs, seed=seed,
                      param_files=[str(p) for p in params or []], cluster=cluster, on_done=done)
    failed = [r["id"] for r in records if "error" in r]
    console.print(Text(f"report: {out / 'report.html'}  ({len(records)} studies)"))
    if failed:
        console.print(Text(f"failed studies: {', '.join(failed)} (see the report)", style="red"))
        raise typer.Exit(1)


@app.command()
def studies(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the registered studies with their kind of evidence.

    Example: wattlab studies --json
    """
    import json

    from wattlab.study import all_studies

    rows = [{"id": s.id, "arxiv": s.arxiv, "claim": s.claim.text, "evidence": s.evidence,
             "paper_value": s.claim.paper_value, "unit": s.claim.unit, "claim_kind": s.claim.kind,
             "trend_threshold": s.claim.trend_threshold, "trend_factor": s.claim.trend_factor,
             "direction_from_setup": s.claim.direction_from_setup,
             "modelled_path": s.modelled is not None} for s in all_studies().values()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    t = Table("id", "arXiv", "claim", "evidence")
    for r in rows:
        t.add_row(str(r["id"]), str(r["arxiv"]), str(r["claim"]), str(r["evidence"] or ""))
    console.print(t)


@params_app.command("list")
def params_list(
    prefix: Annotated[str, typer.Argument(help="Only keys starting with this.")] = "",
    params: ParamFiles = None,
) -> None:
    """List parameters with value, evidence and source.

    Example: wattlab params list dev.h100 --json
    """
    from wattlab.params import load_registry

    reg = load_registry(params or [])
    t = Table("key", "value", "evidence", "source")
    for k in reg:
        if k.startswith(prefix):
            p = reg[k]
            t.add_row(k, p.given, p.evidence, p.source.citation[:60])
    console.print(t)


@params_app.command("show")
def params_show(key: str, params: ParamFiles = None) -> None:
    """Show one parameter with its full provenance.

    Example: wattlab params show grid.world_average_intensity
    """
    from wattlab.params import describe, load_registry

    p = load_registry(params or [])[key]
    t = Table("field", "value", show_header=False, box=None, title=key, title_justify="left")
    t.columns[1].overflow = "fold"
    for k, v in describe(p).items():
        t.add_row(Text(str(k), style="bold"), Text(str(v)))
    lo, hi = p.valid_range
    lo_s = "unbounded" if lo == -math.inf else f"{lo:g}"
    hi_s = "unbounded" if hi == math.inf else f"{hi:g}"
    t.add_row(Text("valid range (SI)", style="bold"), Text(f"{lo_s} .. {hi_s} {p.unit}"))
    t.add_row(Text("file", style="bold"), Text(p.file))
    console.print(t)


@params_app.command("used-by")
def params_used_by(
    key: str,
    report: Annotated[Path, typer.Option(
        "--report", help="A report folder whose results.json says which studies read the key.")]
    = Path("wattlab-report"),
) -> None:
    """The functions that read KEY (static scan) and the studies that read it in a report.

    Example: wattlab params used-by dev.h100.tdp --report wattlab-report
    """
    import json

    from wattlab.params import default_registry
    from wattlab.params.usage import readers_of

    default_registry()[key]  # an unknown key is an error naming close ones
    console.print("[bold]functions[/bold] (static scan of wattlab's source):", markup=True)
    for where in readers_of(key):
        console.print(f"  {where}", markup=False)
    results = report / "results.json"
    if not results.is_file():
        console.print(f"studies: no {results}; run `wattlab reproduce --out {report}` first",
                      markup=False)
        return
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
        records = data["studies"] if isinstance(data, dict) else data
        studies = [r["id"] for r in records if key in r.get("params", ())]
    except (ValueError, KeyError, TypeError) as exc:
        raise StudyError(f"{results} is not a wattlab results.json ({exc}); rerun reproduce") from None
    console.print(Text.assemble(("studies", "bold"), f" that read it in {results}:"))
    for sid in studies or ["(none)"]:
        console.print(f"  {sid}", markup=False)


@params_app.command("unused")
def params_unused(params: ParamFiles = None) -> None:
    """Keys that no code reads (static scan); the shipped registry has none.

    Example: wattlab params unused --params mine.toml
    """
    from wattlab.params import load_registry
    from wattlab.params.usage import unused

    keys = list(unused(load_registry(params or [])))
    for k in keys:
        console.print(k, markup=False)
    console.print(f"{len(keys)} unused key(s)", markup=False)


def _mount_commands() -> None:
    """Register ``wattlab.commands.<name>`` modules by name; each is imported only when its
    command is used (or for the full ``--help`` listing), so ``wattlab measure`` does not pay
    for every command's imports."""
    import wattlab.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):  # shared helpers such as _options
            continue
        LAZY[info.name.replace("_", "-")] = f"{pkg.__name__}.{info.name}"


_mount_commands()


def command() -> click.Command:
    """The click command tree with the house input checks applied and a ``--json`` flag on
    every table-printing command (see commands._options)."""
    return add_json(harden(typer.main.get_command(app)))


INTERRUPTED = "interrupted; finished studies are kept: resume with the same command"


def error(message: str) -> None:
    """Print ``error: message`` to stderr, literally (no markup parsing)."""
    literal_console(stderr=True, highlight=False, soft_wrap=True).print(
        Text.assemble(("error: ", "red"), str(message)))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code: 0, 1 (a study failed), 2 (bad input), 130."""
    import click

    os.environ.setdefault("TQDM_DISABLE", "1")  # third-party per-tensor bars; read at tqdm import
    try:
        rc = command().main(args=argv, prog_name="wattlab", standalone_mode=False)
    except WattlabError as exc:
        error(str(exc))
        return 2
    except click.exceptions.Exit as exc:
        rc = int(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        rc = 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except BrokenPipeError:
        return 0
    except UnicodeDecodeError as exc:  # a user's file that is not UTF-8 text
        error(f"a file you gave is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as "
              "UTF-8")
        return 2
    except OSError as exc:  # a path the user gave: too long, not a folder, permission denied...
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        error(f"{exc.strerror or exc}{where}; check the path or file you gave")
        return 2
    except MemoryError:
        error("the inputs ask for more memory than this machine has; use smaller sizes")
        return 2
    args = sys.argv[1:] if argv is None else argv
    if rc == 130 and args[:1] != ["measure"]:  # typer turns KeyboardInterrupt into Exit(130)
        literal_console(stderr=True, highlight=False).print(Text(INTERRUPTED))
    return rc if isinstance(rc, int) else 0


def main() -> None:
    """Entry point: exit with :func:`run`'s code."""
    sys.exit(run())


if __name__ == "__main__":
    main()
