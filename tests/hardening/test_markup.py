"""Issue 19/18: user and data text is printed literally by every command, never read as rich
markup. Each test feeds ``[bold]x[/bold]`` (valid markup: it would be styled and lose its tags),
``[/x]`` (invalid markup: it would stop the command with MarkupError) and ``[red]`` through a
real command (the same ``run`` that ``wattlab`` exits with) and checks the text comes back as
given, with the documented exit code (0 ok, 2 bad input)."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from . import fuzz

pytestmark = pytest.mark.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[2]
BOLD, CLOSE, RED = "[bold]x[/bold]", "[/x]", "[red]"

PARAMS_TOML = """
[sources."[red]src"]
citation = "[bold]My bench[/bold] [/x] :zap:"
url = "https://example.org/[red]"

[params."dev.t4.tdp"]
value = 65
unit = "W"
source = "[red]src"
locator = "[bold]table 2[/bold] [/x]"
evidence = "measured"

[params."mine.[bold]k[/bold]"]
value = 1.5
unit = "W"
source = "[red]src"
locator = "[/x] row"
evidence = "assumed"
note = "[red]why [/x]"
"""
PARAMS_FILE = "[bold]p[/bold] [/x].toml"


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    """A wide console: table cells and titles are not wrapped inside the checked text."""
    monkeypatch.setenv("COLUMNS", "250")


def wl(*argv: str, cwd: Path, bound: float = 60) -> tuple[int | None, str]:
    """Run ``wattlab ARGV`` in this process with ``cwd`` as the working folder: (exit code,
    stdout + stderr with runs of white space as one space)."""
    res = fuzz.invoke(list(argv), bound, cwd=cwd)
    assert not res.hung and res.exc is None, res.exc
    assert "Traceback" not in res.out + res.err
    return res.rc, " ".join((res.out + res.err).split())


def make(tmp_path: Path, rel: str, text: str) -> str:
    """Write ``text`` to ``tmp_path / rel`` (a ``[/x]`` in ``rel`` is a folder boundary)."""
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return rel


@pytest.fixture
def param_file(tmp_path):
    return make(tmp_path, PARAMS_FILE, PARAMS_TOML)


def test_params_list_prints_keys_and_sources_from_a_user_file_literally(tmp_path, param_file):
    rc, out = wl("params", "list", "mine", "--params", param_file, cwd=tmp_path)
    assert rc == 0, out
    assert "mine.[bold]k[/bold]" in out
    assert "1.5 W" in out and "assumed" in out
    assert "[bold]My bench[/bold] [/x] :zap:" in out


def test_params_list_json_cells_keep_the_brackets(tmp_path, param_file, capsys):
    res = fuzz.invoke(["params", "list", "mine", "--params", param_file, "--json"], 60,
                      cwd=tmp_path)
    assert res.rc == 0 and res.exc is None, res.err + str(res.exc)
    rows = json.loads(res.out)["tables"][0]["rows"]
    assert rows == [{"key": "mine.[bold]k[/bold]", "value": "1.5 W", "evidence": "assumed",
                     "source": "[bold]My bench[/bold] [/x] :zap:"}]


def test_params_show_prints_a_user_key_note_and_file_literally(tmp_path, param_file):
    rc, out = wl("params", "show", "mine.[bold]k[/bold]", "--params", param_file, cwd=tmp_path)
    assert rc == 0, out
    assert out.startswith("mine.[bold]k[/bold] ")  # the title
    assert "[red]why [/x]" in out and "[/x] row" in out
    assert f"file {PARAMS_FILE}" in out


def test_devices_show_prints_a_user_source_and_the_assumption_label(tmp_path, param_file):
    rc, out = wl("devices", "show", "t4", "--params", param_file, cwd=tmp_path)
    assert rc == 0, out
    assert "[bold]My bench[/bold] [/x] :zap: ([bold]table 2[/bold] [/x]) https://example.org/[red]" \
        in out
    assert "/ peak [assumption]" in out  # a label in brackets, not a style


@pytest.mark.parametrize("argv, needle", [
    (["params", "show", "[red]nope [/x] [bold]x[/bold]"], "'[red]nope [/x] [bold]x[/bold]'"),
    (["params", "list", "--params", "gone [bold]x[/bold] [/x].toml"],
     "'gone [bold]x[/bold] [/x].toml' does not exist"),
    (["sched", "simulate", "--trace", "no [red] trace [/x].csv"], "no [red] trace [/x].csv"),
    (["ies", "dispatch", "--profile", "no [bold]x[/bold] [/x].csv"], "no [bold]x[/bold] [/x].csv"),
    (["explore", "memory", "--space", "no [red] space [/x].toml"], "no [red] space [/x].toml"),
    (["fpga", "idle", "--e-inf", "[bold]3[/bold] uJ [/x]"], "[bold]3[/bold] uJ [/x]"),
])
def test_errors_quote_user_input_literally(tmp_path, argv, needle):
    rc, out = wl(*argv, cwd=tmp_path)
    assert rc == 2, out
    assert needle in out


def test_a_broken_user_param_file_is_quoted_literally(tmp_path):
    make(tmp_path, "bad [bold]x[/bold] [/x].toml", "[params.\n")
    rc, out = wl("params", "list", "--params", "bad [bold]x[/bold] [/x].toml", cwd=tmp_path)
    assert rc == 2, out
    assert "bad [bold]x[/bold] [/x].toml: not valid TOML" in out


def test_params_used_by_prints_the_report_folder_literally(tmp_path):
    report = tmp_path / "rep [bold]x[/bold] [/x]"
    report.mkdir(parents=True)
    (report / "results.json").write_text(json.dumps(
        {"studies": [{"id": "mk.one", "params": ["phys.boltzmann"]}]}), encoding="utf-8")
    rc, out = wl("params", "used-by", "phys.boltzmann", "--report", "rep [bold]x[/bold] [/x]",
                 cwd=tmp_path)
    assert rc == 0, out
    assert "functions (static scan" in out  # the intentional [bold] heading is styled, not shown
    assert "studies that read it in rep [bold]x[/bold] [/x]/results.json: mk.one" in out


STUDIES_PY = '''
from wattlab.study import Claim, Outcome, Study


def _run(ctx):
    return Outcome(value=4.14, notes=["[bold]note[/bold] [/x] [red]"])


CLAIM = Claim("[bold]kT[/bold] at 300 K [/x] is 4.14 zJ [red]", "kT [bold]m[/bold]", "zJ", 4.14)
STUDIES = [Study("mkup.one", "A [bold]paper[/bold] [/x]", "0000.00003", CLAIM, _run,
                 "modelled", "[red] boundary [/x]")]
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A WATTLAB_STUDIES module whose claim, paper, boundary and notes hold markup."""
    name = f"mkup_studies_{abs(hash(str(tmp_path)))}"
    (tmp_path / f"{name}.py").write_text(STUDIES_PY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("WATTLAB_STUDIES", name)
    yield name
    sys.modules.pop(name, None)


def test_studies_prints_a_plugin_claim_literally(tmp_path, plugin):
    rc, out = wl("studies", cwd=tmp_path)
    assert rc == 0, out
    assert "mkup.one" in out
    assert "[bold]kT[/bold] at 300 K [/x] is 4.14 zJ [red]" in out


def test_studies_json_table_keeps_a_plugin_claim(tmp_path, plugin):
    res = fuzz.invoke(["studies", "--json"], 60, cwd=tmp_path)
    assert res.rc == 0 and res.exc is None, res.err + str(res.exc)
    (row,) = [r for r in json.loads(res.out) if r["id"] == "mkup.one"]
    assert row["claim"] == "[bold]kT[/bold] at 300 K [/x] is 4.14 zJ [red]"


def test_reproduce_runs_a_plugin_study_with_markup_into_a_bracketed_folder(tmp_path, plugin,
                                                                            monkeypatch):
    import importlib

    rp = importlib.import_module("wattlab.reproduce")

    def run_here(todo, scale, seed, files, jobs, finished):  # in this process: no workers
        for s in todo:
            finished(rp.run_one(s.id, scale, seed, files))

    monkeypatch.setattr(rp, "_run_local", run_here)
    (tmp_path / "out [bold]x[/bold] [/x]").parent.mkdir(parents=True)
    rc, out = wl("reproduce", "--only", "mkup", "--out", "out [bold]x[/bold] [/x]", cwd=tmp_path)
    assert rc == 0, out
    assert "mkup.one: reproduced" in out
    assert "report: out [bold]x[/bold] [/x]/report.html (1 studies)" in out
    results = (tmp_path / "out [bold]x[/bold] [/x]" / "results.json").read_text(encoding="utf-8")
    assert "[bold]note[/bold] [/x] [red]" in results


TRACE = """job_id,submit_s,runtime_s,gpus,app,p,comm,util,comm_power
a1,0,600,1,app1,0.9,0.01,0.7,0.3
[red]big,10,600,16,app2,0.9,0.01,0.7,0.3
a3,20,900,2,app1,0.9,0.01,0.7,0.3
"""


def test_sched_simulate_prints_the_trace_name_and_job_ids_literally(tmp_path):
    name = "jobs [red] [b]x.csv"  # a file name holds no '/': opening tags only
    make(tmp_path, f"[bold]t[/bold] [/x]/{name}", TRACE)
    rc, out = wl("sched", "simulate", "--trace", f"[bold]t[/bold] [/x]/{name}", "--nodes", "1",
                 "--policy", "fcfs", cwd=tmp_path)
    assert rc == 0, out
    assert f"{name} on 1 x H100 node" in out  # the table title
    assert f"unrunnable: {name} row 3: requests 16 GPUs" in out


def test_ies_dispatch_prints_the_profile_path_literally(tmp_path):
    rows = ["hour,elec,heat,cool,it,pv"] + [
        f"{h},{100 + h},50,20,30,{max(0, 10 - abs(h - 12)) * 5}" for h in range(24)]
    make(tmp_path, "[bold]d[/bold] [/x]/load [red].csv", "\n".join(rows) + "\n")
    rc, out = wl("ies", "dispatch", "--profile", "[bold]d[/bold] [/x]/load [red].csv",
                 cwd=tmp_path)
    assert rc == 0, out
    assert "(profile [bold]d[/bold] [/x]/load [red].csv)" in out
    assert "total cost (USD)" in out


def test_explore_prints_the_output_folder_literally(tmp_path):
    rc, out = wl("explore", "memory", "--out", "o [bold]x[/bold] [/x]", "--backend", "serial",
                 cwd=tmp_path, bound=120)
    assert rc == 0, out
    assert "written to o [bold]x[/bold] [/x]/ (results.csv" in out
    assert (tmp_path / "o [bold]x[/bold] [/x]" / "front.csv").is_file()


def test_measure_prints_the_measured_command_literally(tmp_path):
    rc, out = wl("measure", "--", sys.executable, "-c", "pass", BOLD, CLOSE, RED, cwd=tmp_path)
    assert rc == 0, out
    assert f"-c pass {BOLD} {CLOSE} {RED}" in out


def test_help_texts_keep_their_brackets(tmp_path):
    rc, out = wl("reproduce", "--help", cwd=tmp_path)
    assert rc == 0 and "needs wattlab[dist]" in out, out
    rc, out = wl("explore", "memory", "--help", cwd=tmp_path)
    assert rc == 0 and "([dims], [fixed], [constraints])" in out, out


def test_every_help_text_reads_as_written():
    """Help is rendered as rich markup by typer: a literal '[' must be written '\\['."""
    import click
    from rich.text import Text

    from wattlab.cli import command

    def texts(cmd, path):
        yield path, cmd.help
        yield path, getattr(cmd, "epilog", None)
        for p in cmd.params:
            yield (*path, p.name), getattr(p, "help", None)
        if isinstance(cmd, click.Group):
            if hasattr(cmd, "load_all"):
                cmd.load_all()
            for n, sub in cmd.commands.items():
                yield from texts(sub, (*path, n))

    lost = [(where, s) for where, s in texts(command(), ()) if s
            and Text.from_markup(s).plain != s.replace("\\[", "[")]
    assert not lost


def test_commands_print_only_through_the_literal_console():
    """Every Console in cli.py and the commands comes from commands._output.literal_console."""
    files = [ROOT / "src/wattlab/cli.py", *sorted((ROOT / "src/wattlab/commands").glob("*.py"))]
    bad = []
    for f in files:
        if f.name == "_output.py":
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", "")
                if name == "Console":
                    bad.append(f"{f.name}:{node.lineno}")
                if name == "print" and any(k.arg == "markup" and isinstance(k.value, ast.Constant)
                                           and k.value.value is True for k in node.keywords):
                    arg = node.args[0] if node.args else None
                    if not isinstance(arg, ast.Constant):  # markup only on constant text
                        bad.append(f"{f.name}:{node.lineno} markup=True on built text")
    assert not bad


def test_explore_progress_shows_the_space_name_as_data():
    """A space file's name is the progress bar's label: neither markup nor a format string."""
    from wattlab.explore.search import _progress

    bar = _progress(True, 3, "[/x] [bold]s[/bold] {oops")
    try:
        assert bar.columns[0].render(bar.tasks[0]).plain == "[/x] [bold]s[/bold] {oops"
    finally:
        bar.stop()
