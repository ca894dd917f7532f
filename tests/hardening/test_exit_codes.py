"""Issue 19 items 1 and 3: exit codes tell the truth; user text is printed literally."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

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


def test_success_exits_0(tmp_path):
    r = wattlab("reproduce", "--only", "hostile.a-quick", "--out", str(tmp_path / "r"), **STUDIES)
    assert r.returncode == 0, text(r)


def test_interrupt_exits_130_keeps_finished_and_stops_at_once(tmp_path):
    out = tmp_path / "r"
    log = tmp_path / "log"
    p = subprocess.Popen([sys.executable, "-m", "wattlab", "reproduce", "--only", "hostile",
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
    r = wattlab(*args)
    assert r.returncode == 2, text(r)
    assert "[/x]" in text(r) and "Traceback" not in r.stderr


def test_hint_keeps_its_brackets():
    import io
    from contextlib import redirect_stderr

    from wattlab.cli import error
    from wattlab.errors import MissingDependencyError

    buf = io.StringIO()
    with redirect_stderr(buf):
        error(str(MissingDependencyError("ray", "dist", "--cluster")))
    assert "pip install 'wattlab[dist]'" in buf.getvalue()
