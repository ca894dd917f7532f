"""The fuzz guard of issue 19: every command and option, and the parameter loader.

Default run: a small budget (~30 s on a shared 2-core machine). ``-m slow`` runs a long profile.
"""

from __future__ import annotations

import importlib
import math
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import fuzz

pytestmark = pytest.mark.filterwarnings("ignore")

FAST = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=1500, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def world():
    """Hostile paths, the hostile studies, and studies run in this process."""
    paths = fuzz.Paths.make()
    rp = importlib.import_module("wattlab.reproduce")
    saved = {k: os.environ.get(k) for k in ("WATTLAB_STUDIES", "WATTLAB_TEST_SLEEP")}
    os.environ["WATTLAB_STUDIES"] = "tests.hardening.hostile_studies"
    os.environ["WATTLAB_TEST_SLEEP"] = "0"
    real = rp._run_local

    def run_here(todo, scale, seed, files, jobs, finished):
        for s in todo:
            finished(rp.run_one(s.id, scale, seed, files))

    rp._run_local = run_here
    cwd = os.getcwd()
    work = paths.root / "cwd"  # relative paths ('[/x]', '.png') land here, not in the checkout
    work.mkdir()
    os.chdir(work)
    try:
        yield paths
    finally:
        os.chdir(cwd)
        rp._run_local = real
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    (paths.root / "ro").chmod(0o700)
    shutil.rmtree(paths.root, ignore_errors=True)


TARGETS = fuzz.targets()


def _check(world, data, bound_s: float, heavy_bound_s: float) -> None:
    path, cmd, param = data.draw(st.sampled_from(TARGETS), label="target")
    value = None
    if param is not None:
        value = data.draw(fuzz.value_strategy(param, world), label=param.name)
    out_dir = Path(tempfile.mkdtemp(dir=world.root))
    argv = fuzz.argv_for(path, cmd, param, value, out_dir)
    res = fuzz.invoke(argv, heavy_bound_s if path in fuzz.HEAVY else bound_s)
    found = fuzz.problems(res, path)
    assert not found, f"wattlab {' '.join(map(repr, argv))}: " + "; ".join(found) + \
        f"\nstdout: {res.out[-800:]}\nstderr: {res.err[-800:]}"


@FAST
@given(data=st.data())
def test_fuzz_every_command_and_option(world, data):
    _check(world, data, bound_s=60, heavy_bound_s=5)  # a hang is minutes; the machine is shared


@pytest.mark.soak
@LONG
@given(data=st.data())
def test_fuzz_every_command_and_option_long(world, data):
    _check(world, data, bound_s=120, heavy_bound_s=300)


def test_every_mounted_command_is_a_fuzz_target():
    from wattlab.cli import command
    from wattlab.commands._options import iter_commands

    paths = {p for p, _, _ in TARGETS}
    assert {p for p, _ in iter_commands(command())} == paths
    assert ("radio", "ber") in paths and ("reproduce",) in paths


# -- the parameter loader ------------------------------------------------------------------

_scalars = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30),
                     st.booleans(), st.text(max_size=8), st.just(""), st.lists(st.integers(),
                                                                             max_size=2))
_units = st.sampled_from(["pJ", "J", "EJ", "W", "K", "s", "bit", "", "pJ/bit", "xx", "J/", "1"])
_keys = st.sampled_from(["op45.int8_add", "phys.room_temperature", "phys.boltzmann", "user.x",
                         "radio.tx.pa_efficiency", "", "a b"])


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


URLS = ["https://x.org", "javascript:x", "doi:10.1/x", ""]


@st.composite
def toml_files(draw) -> str:
    lines = []
    if draw(st.booleans()):
        lines.append(f"schema = {_toml_value(draw(st.one_of(st.just(1), _scalars)))}")
    if draw(st.booleans()):
        lines += ["[sources.s]", f"citation = {_toml_value(draw(_scalars))}",
                  f"url = {_toml_value(draw(st.sampled_from(URLS)))}"]
    for _ in range(draw(st.integers(1, 3))):
        key = draw(_keys)
        lines.append(f'[params."{key}"]')
        fields = {"value": _scalars, "unit": _units,
                  "source": st.sampled_from(["s", "horowitz2014", "codata2018", "nope"]),
                  "locator": _scalars, "evidence": st.sampled_from(
                      ["measured", "published", "derived", "assumed", "guessed"]),
                  "min": _scalars, "max": _scalars, "note": _scalars, "node_nm": _scalars,
                  "extra": _scalars}
        for name, strat in fields.items():
            if draw(st.integers(0, 9)) < (8 if name in ("value", "unit", "source", "locator",
                                                         "evidence") else 2):
                v = draw(strat)
                lines.append(f"{name} = {_toml_value(v)}")
    raw = "\n".join(lines) + "\n"
    if draw(st.integers(0, 9)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]  # truncated
    return raw


def _check_loader(text: str) -> None:
    from wattlab.errors import ParamError
    from wattlab.params import load_registry

    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, encoding="utf-8") as f:
        f.write(text)
    try:
        try:
            reg = load_registry([f.name])
        except ParamError:
            return
        for k in reg:
            p = reg[k]
            assert math.isfinite(p.value), (k, p.value)
            lo, hi = p.valid_range
            assert lo <= p.value <= hi, (k, p.value, p.valid_range)
    finally:
        os.unlink(f.name)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(text=toml_files())
def test_fuzz_parameter_loader(text):
    _check_loader(text)


@pytest.mark.soak
@settings(max_examples=3000, deadline=None, database=None)
@given(text=toml_files())
def test_fuzz_parameter_loader_long(text):
    _check_loader(text)
