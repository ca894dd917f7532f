import subprocess
import sys

import pytest


def wattlab(*args: str, env=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wattlab.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_params_show_prints_provenance():
    r = wattlab("params", "show", "phys.boltzmann")
    assert r.returncode == 0
    assert "CODATA" in r.stdout and "published" in r.stdout


@pytest.mark.parametrize("args, needle", [
    (["params", "show", "phys.boltzman"], "did you mean phys.boltzmann"),
    (["reproduce", "--only", "no-such-study"], "unknown study id"),
    (["reproduce", "--jobs", "0"], "--jobs must be >= 1"),
    (["params", "list", "--params", "/no/such.toml"], "does not exist"),
])
def test_bad_input_exits_2_with_a_message(args, needle):
    r = wattlab(*args)
    assert r.returncode == 2, r.stderr
    assert needle in " ".join((r.stderr + r.stdout).split())


def test_malformed_param_file_names_entry_and_field(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[params."phys.room_temperature"]\nvalue = 300\nunit = "K"\n'
                 'source = "codata2018"\nlocator = "x"\nevidence = "guessed"\n')
    r = wattlab("params", "list", "--params", str(f))
    text = " ".join(r.stderr.split())
    assert r.returncode == 2
    assert "phys.room_temperature" in text and "evidence" in text and str(f) in text


def test_studies_json_names_each_kind_of_evidence():
    import json

    r = wattlab("studies", "--json")
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert rows["homodyne-ptp.throughput"]["evidence"] == "identity"
    assert rows["edge-eval.energy-ratio"]["direction_from_setup"] is True
    assert rows["npumoe.energy"]["modelled_path"] is True
    assert {row["evidence"] for row in rows.values()} <= {
        "measured", "modelled", "identity", "consistency", "paper-data"}
