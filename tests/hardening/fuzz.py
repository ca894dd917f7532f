"""The CLI fuzz harness: every mounted command and option, found at run time.

For each leaf command of ``wattlab.cli.command()`` and each of its parameters, hypothesis draws
a hostile value (negative, zero, NaN, inf, huge, empty, unicode, markup, odd paths) and runs the
command in this process with the other parameters at cheap base values. The invocation must end
with exit 0 or 2 (1 only for ``reproduce``), print no traceback, print no NaN/inf or negative
energy/time with exit 0, and finish within a time bound. A command added later is fuzzed
without editing this file; ``BASE`` only makes known commands cheap, ``HEAVY`` marks commands
whose accepted input starts minutes of work (an accepted run that reaches the bound passes:
validation happened first).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import stat
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from hypothesis import strategies as st

from wattlab.cli import command, run
from wattlab.commands._options import BoundedInt, FiniteFloat, iter_commands

#: Cheap values for options of known commands (path -> option name -> argv value).
BASE: dict[tuple[str, ...], dict[str, str]] = {
    ("radio", "ber"): {"--max-bits": "2000", "--ebn0": "0,4", "--target-errors": "20"},
    ("zkp", "bench"): {"--log-n": "4", "--reps": "1"},
    ("fl", "compare"): {"--clients": "3", "--windows": "20", "--rounds": "2"},
    ("moe", "serve-sim"): {"--tokens": "1024", "--layers": "1"},
    ("moe", "speculate"): {"--model": "tiny", "--tokens": "4"},
    ("photonic", "fit"): {"--size": "2", "--powers": "1"},
    ("photonic", "budget"): {"--m": "64", "--k": "64", "--n": "64"},
    ("deploy-eval",): {"--model": "smollm2-135m", "--device": "t4"},
    ("reproduce",): {"--only": "hostile.a-quick"},
    ("spiking", "convert"): {"--model": "tiny", "--batch": "4"},
    ("wireless", "ris"): {"--variant": "proposed", "--drops": "1", "--batch": "2"},
    ("wireless", "cellfree"): {"--drops": "1", "--aps": "4", "--ues": "2"},
    ("wireless", "agent"): {"--slots": "3"},
    ("imu", "evaluate"): {"--train": "4", "--test": "2", "--duration": "3", "--epochs": "1"},
    ("ies", "dispatch"): {"--steps": "24"},
    ("ies", "train"): {"--train-days": "3", "--test-days": "1", "--epochs": "1"},
    ("fpga", "sensor"): {"--steps": "5", "--samples": "300", "--layers": "1", "--neurons": "4",
                         "--bits": "8"},
    ("fpga", "lstm"): {"--hidden": "4"},
}
#: Positional arguments of known commands.
BASE_ARGS: dict[tuple[str, ...], list[str]] = {
    ("llm", "cost"): ["smollm2-135m"], ("devices", "show"): ["t4"],
    ("params", "show"): ["phys.boltzmann"],
    ("measure",): [sys.executable, "-c", "pass"],
}
#: Commands that pass their child's exit code through (any code is theirs, not a crash).
PASS_THROUGH = {("measure",)}
#: Commands whose accepted input starts long work (model training/loading).
HEAVY = {("moe", "speculate"), ("photonic", "fit"), ("imu", "evaluate"), ("ies", "train"),
         ("explore", "cim-model"),
         ("wireless", "ris"), ("wireless", "cellfree"), ("wireless", "agent"),  # DRL/CVAE/SmolLM2
         ("spiking", "evaluate")}
#: Imported before fuzzing: an alarm that lands inside an import leaves a half-made module.
PRELOAD = ("torch", "matplotlib.pyplot", "scipy.stats", "wattlab.systems.moe.tiny",
           "wattlab.systems.moe.specdec", "wattlab.systems.moe.energy",
           "wattlab.systems.moe.moefy", "wattlab.systems.moe.smol", "wattlab.explore.photonic_fit",
           "wattlab.explore.photonic_models", "wattlab.systems.moe.serving",
           "wattlab.systems.moe.calibrate", "wattlab.systems.radio", "wattlab.systems.fl",
           "wattlab.kernels.ntt", "wattlab.kernels.msm", "wattlab.records", "pydantic")


def preload() -> None:
    import importlib

    for name in PRELOAD:
        with contextlib.suppress(Exception):  # optional parts may be absent
            importlib.import_module(name)

NUMBERS = ["nan", "inf", "-inf", "-1", "0", "1", "-0", "1e308", "-1e308", "1e-320", "1e12",
           "1e15", "1000000", "-99999", "1.5", "", " ", "abc", "0x10", "1e400", "NaN", "3"]
TEXT = ["", " ", "[/x]", "[bold]x", "[red]", "é😀", "\u202e", "../../x", "a,b", "0:1e-9:10",
        "1:0:2", "0:-1:5", "-6,-2", "nan", "inf", "-1", "1e308", "0", "1e15", "x" * 300, "%s%n",
        "auto", "top0", "hot99999", "cuda", "tpu9", "1e9", "1,2,3", ",,,", ":::", "0:1:1e9"]


@dataclass
class Paths:
    """Hostile filesystem objects, made once per session."""

    root: Path

    @classmethod
    def make(cls) -> Paths:
        root = Path(tempfile.mkdtemp(prefix="wattlab-fuzz-"))
        (root / "dir").mkdir()
        (root / "file.txt").write_text("x")
        (root / "garbage.toml").write_text("params = 3\n")
        (root / "latin1.toml").write_bytes(b"# caf\xe9\n")
        (root / "list.json").write_text("[1, 2]")
        (root / "ro").mkdir()
        (root / "ro").chmod(stat.S_IRUSR | stat.S_IXUSR)
        return cls(root)

    def choices(self) -> list[str]:
        r = self.root
        return [str(r / "missing.toml"), str(r / "dir"), str(r / "file.txt"),
                str(r / "garbage.toml"), str(r / "latin1.toml"), str(r / "list.json"),
                str(r / "file.txt" / "x.png"), str(r / "ro" / "x.png"), str(r / "nodir" / "x.png"),
                str(r / "new.xyz"), str(r / "new.png"), str(r / "new.json"), str(r / "out"),
                str(r / ("x" * 300)), "", "[/x]"]


def value_strategy(param: click.Parameter, paths: Paths) -> st.SearchStrategy[str]:
    t = param.type
    if isinstance(t, FiniteFloat | click.types.FloatParamType):
        return st.one_of(st.sampled_from(NUMBERS),
                         st.floats(allow_nan=True, allow_infinity=True).map(repr))
    if isinstance(t, BoundedInt | click.types.IntParamType):
        return st.one_of(st.sampled_from(NUMBERS), st.integers(-10**6, 10**13).map(str))
    if isinstance(t, click.Path) or "path" in type(t).__name__.lower():
        return st.sampled_from(paths.choices())
    if isinstance(t, click.Choice):
        return st.one_of(st.sampled_from(list(t.choices)), st.sampled_from(TEXT))
    return st.one_of(st.sampled_from(TEXT + NUMBERS),
                     st.text(max_size=12).filter(lambda s: "\x00" not in s))


def targets() -> list[tuple[tuple[str, ...], click.Command, click.Parameter | None]]:
    """(command path, command, parameter) for every parameter of every mounted command,
    plus (path, command, None) for a run with the base values only."""
    out = []
    for path, cmd in iter_commands(command()):
        out.append((path, cmd, None))
        for p in cmd.params:
            if p.name != "help" and not getattr(p, "hidden", False):
                out.append((path, cmd, p))
    return out


def argv_for(path: tuple[str, ...], cmd: click.Command, param: click.Parameter | None,
             value: str | None, out_dir: Path) -> list[str]:
    opts = dict(BASE.get(path, {}))
    if path == ("reproduce",):
        opts["--out"] = str(out_dir)
    args = list(BASE_ARGS.get(path, []))
    flag_only: list[str] = []
    if param is not None and value is not None:
        if isinstance(param, click.Argument):
            args = [value]
        elif isinstance(param, click.Option):
            name = max(param.opts, key=len)
            if param.is_flag:
                flag_only.append(name if value else (param.secondary_opts or [name])[0])
            else:
                opts[name] = value
    argv = [*path]
    for k, v in opts.items():
        argv += [k, v]
    return [*argv, *flag_only, *(["--"] if any(a.startswith("-") for a in args) else []), *args]


class Hang(BaseException):
    """Raised by the alarm when an invocation runs past its bound."""


BAD_NUMBER = re.compile(r"(?<![\w.])(nan|-?inf)(?![\w])|(?<![\w.\-])-\d[\d.]*(?:e[-+]?\d+)?\s?"
                        r"[yzafpnuµmkMGTPE]?(?:J|Wh|W|s)\b", re.IGNORECASE)


@dataclass
class Result:
    argv: list[str]
    rc: int | None
    out: str
    err: str
    exc: str | None
    hung: bool
    seconds: float


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def fire(signum: int, frame: object) -> None:
        raise Hang()

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _caused_by_hang(e: BaseException | None) -> bool:
    seen = 0
    while e is not None and seen < 20:
        if isinstance(e, Hang):
            return True
        e, seen = e.__cause__ or e.__context__, seen + 1
    return False


def invoke(argv: list[str], bound_s: float, cwd: Path | None = None) -> Result:
    """Run ``wattlab ARGV`` in this process with ``cwd`` as the working folder (a fresh temporary
    one by default: relative outputs such as ``--out ''`` never land in the repository)."""
    import time

    out, err = io.StringIO(), io.StringIO()
    rc, exc, hung = None, None, False
    t0 = time.monotonic()
    old_cwd = os.getcwd()
    scratch = None if cwd is not None else tempfile.mkdtemp(prefix="wattlab-fuzz-cwd-")
    os.chdir(cwd if cwd is not None else scratch)
    try:
        with _alarm(bound_s), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = run(argv)
    except Hang:
        hung = True
    except BaseException as e:  # a library may wrap the bound's alarm in its own exception
        if _caused_by_hang(e):
            hung = True
        else:
            exc = traceback.format_exc()
    finally:
        os.chdir(old_cwd)
        if scratch is not None:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)
    return Result(argv, rc, out.getvalue(), err.getvalue(), exc, hung, time.monotonic() - t0)


def invoke_isolated(argv: list[str], bound_s: float) -> Result:
    """``python -m wattlab ARGV`` in a subprocess, killed at the bound (for HEAVY commands: an
    alarm inside torch's lazy imports would leave this process's modules half-made)."""
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), str(root)])
    env.setdefault("OMP_NUM_THREADS", "1")
    t0 = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="wattlab-fuzz-cwd-") as scratch:
            r = subprocess.run([sys.executable, "-m", "wattlab", *argv], capture_output=True,
                               text=True, env=env, timeout=bound_s, cwd=scratch)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return Result(argv, None, out, err, None, True, time.monotonic() - t0)
    exc_text = r.stderr if "Traceback (most recent call last)" in r.stderr else None
    return Result(argv, r.returncode, r.stdout, r.stderr, exc_text, False, time.monotonic() - t0)


def problems(res: Result, path: tuple[str, ...]) -> list[str]:
    """What is wrong with one invocation's outcome (empty when it is fine)."""
    found = []
    if res.exc:
        found.append(f"traceback:\n{res.exc}")
    if res.hung and path not in HEAVY:
        found.append(f"no answer within the bound ({res.seconds:.1f} s)")
    if res.hung and path in HEAVY and "error" in res.err.lower():
        found.append("a heavy command printed an error but did not exit")
    allowed = {0, 2, 1} if path == ("reproduce",) else {0, 2}
    if path in PASS_THROUGH:
        allowed = set(range(256))
    if not res.hung and res.rc not in allowed:
        found.append(f"exit code {res.rc}")
    if "Traceback (most recent call last)" in res.out + res.err:
        found.append("a traceback was printed")
    if res.rc == 0:
        m = BAD_NUMBER.search(res.out)
        if m:
            found.append(f"exit 0 with a non-physical number {m.group(0)!r}")
    return found
