"""Issue 18, part 5: every command that prints a table takes --json; every --help has an example."""

from __future__ import annotations

import json

import pytest

from wattlab.cli import command, run
from wattlab.commands._options import NO_TABLES, iter_commands

LEAVES = list(iter_commands(command()))


@pytest.mark.parametrize("path, cmd", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_has_json_and_an_example(path, cmd):
    opts = {o for p in cmd.params for o in getattr(p, "opts", ())}
    if path[-1] not in NO_TABLES:
        assert "--json" in opts, f"wattlab {' '.join(path)} has no --json"
    text = (cmd.help or "") + (cmd.epilog or "")
    assert "Example" in text, f"wattlab {' '.join(path)} --help has no example"


@pytest.mark.parametrize("argv, column", [
    (["devices", "list", "--json"], "device"),
    (["params", "list", "phys.", "--json"], "key"),
    (["params", "show", "phys.boltzmann", "--json"], "field"),
    (["deploy-eval", "--model", "smollm2-135m", "--device", "t4", "--json"], "metric"),
])
def test_json_is_one_document_on_stdout(argv, column, capsys):
    assert run(argv) == 0
    data = json.loads(capsys.readouterr().out)
    (table,) = data["tables"]
    assert column in table["columns"] and table["rows"]
    assert all(set(row) == set(table["columns"]) for row in table["rows"])


def test_commands_with_their_own_json_keep_it(capsys):
    assert run(["studies", "--json"]) == 0  # its own --json: a list of studies
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list) and rows and "id" in rows[0]


def test_json_cells_are_plain_text_without_markup(capsys):
    assert run(["params", "show", "grid.world_average_intensity", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["tables"][0]["rows"]
    by = {r["field"]: r["value"] for r in rows}
    assert by["evidence"] == "published" and "[bold]" not in json.dumps(rows)
