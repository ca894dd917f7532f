import pytest
from typer.testing import CliRunner

from wattlab.commands.zkp import app
from wattlab.errors import SpecError


@pytest.mark.parametrize("args", [["--log-n", "6", "--reps", "1"],
                                  ["--log-n", "6", "--batch", "3", "--steps", "5", "--reps", "1"],
                                  ["--kernel", "msm", "--log-n", "3", "--reps", "1",
                                   "--field", "bn254"]])
def test_bench_prints_measured_and_modelled_rows(args):
    res = CliRunner().invoke(app, ["bench", *args])
    assert res.exit_code == 0, res.output
    assert "measured" in res.output and "modelled" in res.output and "GZKP" in res.output


@pytest.mark.parametrize("args", [["--kernel", "fft"], ["--field", "bls12-381-fq", "--log-n", "4"],
                                  ["--kernel", "msm", "--field", "bls12-377"], ["--steps", "4"]])
def test_bench_bad_input_is_a_spec_error(args):
    res = CliRunner().invoke(app, ["bench", *args])
    assert isinstance(res.exception, SpecError)
