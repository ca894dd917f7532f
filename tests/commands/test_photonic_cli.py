"""`wattlab photonic ...` sub-commands."""

from __future__ import annotations

from typer.testing import CliRunner

from wattlab.commands.photonic import app
from wattlab.errors import SpecError

runner = CliRunner()


def test_budget_prints_enob_and_cost() -> None:
    res = runner.invoke(app, ["budget", "--laser-power", "0.2", "--m", "64", "--k", "64",
                              "--n", "64"])
    assert res.exit_code == 0, res.output
    assert "ENOB" in res.output and "TOPS/W" in res.output


def test_plan_lists_exact_points_first() -> None:
    res = runner.invoke(app, ["plan", "--top", "3"])
    assert res.exit_code == 0, res.output
    first = next(line for line in res.output.splitlines() if line.startswith("│"))
    assert "True" in first  # the cheapest exact point heads the table


def test_bad_input_is_a_spec_error() -> None:
    res = runner.invoke(app, ["plan", "--k", "100"])
    assert isinstance(res.exception, SpecError)
    res = runner.invoke(app, ["budget", "--adc-bits", "40"])  # outside the option's range
    assert res.exit_code == 2 and "--adc-bits" in res.output
