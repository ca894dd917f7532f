"""``wattlab llm list/cost``."""

from __future__ import annotations

from typer.testing import CliRunner

from wattlab.commands.llm import app
from wattlab.errors import SpecError


def test_list_shows_published_sizes():
    out = CliRunner().invoke(app, ["list"], terminal_width=250)
    assert out.exit_code == 0
    assert "8.030 B" in out.output and "46.703 B" in out.output and "12.880 B" in out.output


def test_cost_is_labelled_modelled():
    out = CliRunner().invoke(app, ["cost", "smollm2-135m", "--device", "cpu_2core", "--n-in", "16",
                                   "--n-out", "4"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "modelled (roofline), not measured" in out.output and "per token" in out.output


def test_cost_of_unknown_model_and_oversized_model_are_errors():
    out = CliRunner().invoke(app, ["cost", "gpt-9"])
    assert isinstance(out.exception, SpecError) and "unknown LLM config" in str(out.exception)
    out = CliRunner().invoke(app, ["cost", "mixtral-8x7b", "--device", "t4"])
    assert isinstance(out.exception, SpecError) and "needs" in str(out.exception)
