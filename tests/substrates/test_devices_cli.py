"""``wattlab devices list/show``."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from wattlab.commands.devices import app
from wattlab.errors import SpecError


def test_list_names_every_device():
    out = CliRunner().invoke(app, ["list"], terminal_width=200)
    assert out.exit_code == 0
    for name in ("t4", "a100", "h100", "h200", "tpu_v6e", "m2_max_ane", "cpu_2core"):
        assert name in out.output


def test_show_prints_sources_and_derived_op_energy():
    out = CliRunner().invoke(app, ["show", "t4"], terminal_width=300)
    assert out.exit_code == 0
    assert "T4 Tensor Core GPU datasheet" in out.output and "65 TFLOPS" in out.output
    assert "derived energy per op, int8" in out.output


def test_show_unknown_device_raises_spec_error():
    out = CliRunner().invoke(app, ["show", "h1000"])
    assert isinstance(out.exception, SpecError)
    with pytest.raises(SpecError, match="did you mean 'h100'"):
        raise out.exception
