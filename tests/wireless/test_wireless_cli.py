"""`wattlab wireless`: tables, --json, plots, and bad input as named errors (exit 2)."""

import json

import pytest
from typer.testing import CliRunner

from wattlab.commands.wireless import app
from wattlab.errors import SpecError

runner = CliRunner()


def test_agent_json_and_plot(tmp_path):
    png = tmp_path / "tradeoff.png"
    r = runner.invoke(
        app, ["agent", "--intent", "70% throughput", "--slots", "5", "--json", "--plot", str(png)]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["tables"]["intent"][0]["w_se"] == pytest.approx(0.7)
    assert png.stat().st_size > 0


def test_ris_table_and_budget_plot(tmp_path):
    png = tmp_path / "ee.png"
    r = runner.invoke(
        app,
        [
            "ris",
            "--variant",
            "proposed",
            "--drops",
            "1",
            "--batch",
            "2",
            "--budgets",
            "0.5,1",
            "--plot",
            str(png),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)["tables"]["variants"]
    assert len(rows) == 2 and png.stat().st_size > 0


def test_cellfree_optimiser_only():
    r = runner.invoke(app, ["cellfree", "--drops", "1", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)["tables"]["allocations"]
    assert len(rows) == 4 and all(x["method"] == "optimiser" for x in rows)


@pytest.mark.parametrize(
    "args, field",
    [
        (["agent", "--intent", "make it nice"], "intent"),
        (["agent", "--intent", "don't waste energy"], "negation"),
        (["agent", "--speed", "-3"], "--speed"),
    (["agent", "--plot", "x.pdf"], "--plot"),
    (["ris", "--drops", "0"], "--drops"),
        (["ris", "--variant", "quantum"], "variant"),
        (["ris", "--budgets", "-1"], "budgets"),
        (["ris", "--ports", "1"], "n_ports"),
        (["cellfree", "--arrival", "5e8", "--drops", "1"], "infeasible for user"),
        (["cellfree", "--violation", "2"], "--violation"),
        (["cellfree", "--combining", "zf"], "combining"),
    ],
)
def test_bad_input_is_a_named_error(args, field):
    """A SpecError naming the field (the CLI maps it to exit 2), or an option-type rejection
    (exit 2) naming the option: never a number, never a traceback."""
    r = runner.invoke(app, args)
    if isinstance(r.exception, SpecError):
        assert field in str(r.exception)
    else:
        assert r.exit_code == 2 and field in r.output, r.output
