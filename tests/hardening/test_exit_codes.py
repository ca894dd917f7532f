"""Issue 19 items 1 and 3: exit codes tell the truth; user text is printed literally."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from . import fuzz
from .conftest import ROOT, env, text, wattlab

STUDIES = {"WATTLAB_STUDIES": "tests.hardening.hostile_studies"}


def test_failed_study_exits_1(tmp_path):
    r = wattlab("reproduce", "--only", "hostile.b-broken", "--out", str(tmp_path / "r"), **STUDIES)
    assert r.returncode == 1, text(r)
    assert "failed studies: hostile.b-broken" in text(r)


def test_negative_seed_is_bad_input_exit_2(tmp_path):
    r = wattlab("reproduce", "--only", "hostile.a-quick", "--seed", "-1",
                "--out", str(tmp_path / "r"), **STUDIES)
    assert r.returncode == 2, text(r)
    assert "--seed" in text(r) and "Traceback" not in r.stderr
    assert not (tmp_path / "r").exists()


def test_success_exits_0(inproc, tmp_path):
    res = fuzz.invoke(["reproduce", "--only", "hostile.a-quick", "--out", str(tmp_path / "r")], 60)
    assert res.rc == 0, res.out + res.err + str(res.exc)


def test_interrupt_exits_130_keeps_finished_and_stops_at_once(tmp_path):
    out = tmp_path / "r"
    log = tmp_path / "log"
    p = subprocess.Popen([sys.executable, "-m", "wattlab", "reproduce", "--only", "hostile.a-quick",
                          "--only", "hostile.c-slow",
                          "--out", str(out)], cwd=ROOT, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env(WATTLAB_TEST_LOG=str(log), WATTLAB_TEST_SLEEP="60", **STUDIES))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "hostile.slow" not in (
            log.read_text() if log.exists() else ""):
        time.sleep(0.2)
    time.sleep(0.5)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out_text, err = p.communicate(timeout=30)
    assert time.monotonic() - t0 < 15, "SIGINT must stop the run at once"
    assert p.returncode == 130, out_text + err
    assert "resume with the same command" in err
    assert (out / ".cache" / "hostile.a-quick.json").exists()  # the finished study is kept


@pytest.mark.parametrize("args", [
    ["params", "show", "[/x]"],
    ["reproduce", "--only", "[/x]"],
    ["llm", "cost", "[/x]"],
    ["zkp", "bench", "--field", "[/x]"],
    ["radio", "ber", "--scheme", "[/x]"],
    ["fl", "compare", "--radio", "[/x]"],
    ["params", "list", "--params", "[/x].toml"],
])
def test_markup_in_user_text_is_printed_literally(args):
    res = fuzz.invoke(args, 60)  # in this process: the same `run` that `main` exits with
    assert res.exc is None, res.exc
    assert res.rc == 2, res.out + res.err
    assert "[/x]" in " ".join((res.out + res.err).split())


def test_main_exits_with_run_code():
    r = wattlab("params", "show", "[/x]")
    assert r.returncode == 2 and "[/x]" in text(r) and "Traceback" not in r.stderr


def test_hint_keeps_its_brackets():
    import io
    from contextlib import redirect_stderr

    from wattlab.cli import error
    from wattlab.errors import MissingDependencyError

    buf = io.StringIO()
    with redirect_stderr(buf):
        error(str(MissingDependencyError("ray", "dist", "--cluster")))
    assert "pip install 'wattlab[dist]'" in buf.getvalue()


def test_invalid_markup_in_any_command_message_prints_literally():
    import io

    from wattlab.commands._output import literal_console

    buf = io.StringIO()
    literal_console(file=buf, width=200).print("written to [/x]/ and [bold]done[/bold] :smile:")
    assert "written to [/x]/ and [bold]done[/bold] :smile:" in buf.getvalue()
