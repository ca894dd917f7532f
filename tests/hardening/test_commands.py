"""Issue 19 items 6, 9, 10, 11 and 13: every listed command input is a clear exit-2 error (or a
marked, in-range result), and nothing hangs. Run in this process (fast); exit codes as `run`."""

from __future__ import annotations

import time

import pytest

from . import fuzz

pytestmark = pytest.mark.filterwarnings("ignore")


def wl(*argv: str, bound: float = 60) -> fuzz.Result:
    return fuzz.invoke(list(argv), bound)


def flat(res: fuzz.Result) -> str:
    return " ".join((res.out + res.err).split())


BAD = [
    # 6: negative seeds, everywhere, through the one shared type
    (["radio", "ber", "--seed", "-1"], "--seed"),
    (["zkp", "bench", "--seed", "-1"], "--seed"),
    (["moe", "serve-sim", "--seed", "-1"], "--seed"),
    (["fl", "compare", "--train", "--seed", "-1"], "--seed"),
    (["photonic", "fit", "--seed", "-1"], "--seed"),
    # 9: former tracebacks
    (["photonic", "plan", "--block", "0"], "--block"),
    (["moe", "serve-sim", "--budget-gb", "nan"], "--budget-gb"),
    (["moe", "serve-sim", "--budget-gb", "inf"], "--budget-gb"),
    (["moe", "serve-sim", "--zipf", "nan"], "--zipf"),
    (["moe", "serve-sim", "--layers", "0"], "--layers"),
    (["moe", "serve-sim", "--tokens", "1000000000000"], "--tokens"),
    (["radio", "ber", "--ebn0", "0:1e-9:10"], "ebn0"),
    (["radio", "ber", "--ebn0", "1e308"], "ebn0"),
    (["radio", "crossover", "--kappa", "0.01"], "--kappa"),
    (["radio", "energy", "--carrier", "1e300"], "--carrier"),
    (["fl", "compare", "--clients", "1000000000000"], "--clients"),
    (["fl", "compare", "--json", "/no/such/folder/x.json"], "does not exist"),
    (["zkp", "bench", "--batch", "1000000000000"], "--batch"),
    (["zkp", "bench", "--device", "tpu9"], "--device"),
    (["photonic", "design-space", "--out", "/no/such/folder/x.png"], "does not exist"),
    (["photonic", "design-space", "--out", "/tmp/x.unknown"], ".png"),
    (["photonic", "fit", "--out", "/no/such/folder/x.png"], "does not exist"),
    # 10: former silent nonsense
    (["photonic", "budget", "--laser-power", "1e-9"], "noise swamps the signal"),
    (["moe", "serve-sim", "--tiers", "1000000000"], "--tiers"),
    (["radio", "energy", "--kappa", "100"], "--kappa"),
    (["photonic", "plan", "--block", "-32"], "--block"),
    (["photonic", "plan", "--top", "-1"], "--top"),
    (["photonic", "design-space", "--out", "/tmp"], ".png"),
    # 11: former hangs
    (["zkp", "bench", "--kernel", "msm", "--log-n", "20"], "--log-n"),
    (["radio", "ber", "--max-bits", "1e15"], "--max-bits"),
    (["radio", "ber", "--n-rx", "1000000"], "--n-rx"),
    (["fl", "compare", "--rounds", "1000000000000"], "--rounds"),
    (["reproduce", "--jobs", "100000"], "--jobs"),
    # 13: arguments checked before minutes of training
    (["moe", "speculate", "--model", "tiny", "--draft", "hot99"], "hot99"),
    (["moe", "speculate", "--model", "tiny", "--gamma", "0"], "--gamma"),
    (["moe", "speculate", "--model", "nope"], "nope"),
]


@pytest.mark.parametrize("argv, needle", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_a_clear_exit_2(argv, needle):
    res = wl(*argv, bound=90)  # generous: the shared machine is loaded; hangs are minutes
    assert not res.hung and res.exc is None, res.exc
    assert res.rc == 2, flat(res)
    assert needle in flat(res)
    assert "Traceback" not in res.out + res.err


def test_zkp_cuda_without_cuda_is_a_clear_error():
    torch = pytest.importorskip("torch", reason="torch backend")
    if torch.cuda.is_available():
        pytest.skip("CUDA is present here")
    res = wl("zkp", "bench", "--backend", "torch", "--device", "cuda")
    assert res.rc == 2 and "no CUDA device" in flat(res)


def test_union_bound_above_half_is_marked_not_printed():
    res = wl("radio", "ber", "--scheme", "sm-cim", "--ebn0", "-6,-2", "--max-bits", "2000")
    assert res.rc == 0, flat(res)
    assert "> 0.5 (bound)" in res.out and "1.29" not in res.out


def test_radio_energy_beyond_physical_range_is_an_error():
    res = wl("radio", "energy", "--kappa", "8", "--distance", "1e6")
    assert res.rc == 2 and "J per bit" in flat(res)


def test_ray_cluster_unreachable_fails_fast(tmp_path):
    pytest.importorskip("ray", reason="Ray is the optional 'dist' extra")
    t0 = time.monotonic()
    res = wl("reproduce", "--cluster", "127.0.0.1:1", "--only", "idle-waiting",
             "--out", str(tmp_path / "r"), bound=30)
    assert time.monotonic() - t0 < 16
    assert res.rc == 2 and "127.0.0.1:1" in flat(res), flat(res)
    assert not (tmp_path / "r" / "report.html").exists()


def test_studies_env_module_that_raises_or_does_not_parse(tmp_path, monkeypatch):
    (tmp_path / "raising_mod.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "broken_mod.py").write_text("def (:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for mod in ("raising_mod", "broken_mod"):
        monkeypatch.setenv("WATTLAB_STUDIES", mod)
        res = wl("studies")
        assert res.rc == 2 and mod in flat(res), flat(res)


def test_every_help_has_an_example():
    from wattlab.cli import command
    from wattlab.commands._options import iter_commands

    missing = [" ".join(p) for p, c in iter_commands(command())
               if "Example" not in (c.help or "") and p[0] in ("radio", "zkp", "fl", "moe",
                                                               "photonic", "llm")
               and p[-1] != "list"]
    assert not missing
