"""Issue 19 items 4, 7 and 12: parameter overrides keep their range; malformed files are named
errors; the Python API never returns NaN/inf or raises a bare Python error."""

from __future__ import annotations

import json
import math
import pickle

import pytest

from wattlab.cost import Cost
from wattlab.errors import ParamError, SpecError, WattlabError
from wattlab.params import default_registry, load_registry
from wattlab.units import parse_quantity


def override(tmp_path, body: str, name: str = "u.toml"):
    f = tmp_path / name
    f.write_text('[params."op45.int8_add"]\nsource = "horowitz2014"\nlocator = "x"\n'
                 'evidence = "assumed"\nunit = "pJ"\n' + body)
    return f


@pytest.mark.parametrize("body, match", [
    ("value = -1.0\n", "outside the valid range|negative"),
    ("value = 1e6\n", "outside the valid range"),
    ("value = 1e300\nunit = \"EJ\"\n", "Cannot overwrite|finite|outside|defined multiple"),
    ("value = 2.0\nmax = 5.0\n", "widens the valid range"),
])
def test_override_keeps_default_range_and_sign(tmp_path, body, match):
    with pytest.raises(ParamError, match=match):
        load_registry([override(tmp_path, body)])


def test_override_with_a_reason_may_widen_the_range(tmp_path):
    reg = load_registry([override(tmp_path, 'value = 2.0\nmax = 5.0\nnote = "7 nm SRAM"\n')])
    assert reg.value("op45.int8_add") == pytest.approx(2e-12)
    narrow = load_registry([override(tmp_path, "value = 0.5\nmax = 0.6\n", "n.toml")])
    assert narrow.value("op45.int8_add") == pytest.approx(0.5e-12)


def test_positive_default_without_range_keeps_its_sign(tmp_path):
    reg = default_registry()
    key = next(k for k, p in reg.params.items()  # outside the catalogue (it has its own check)
               if p.valid_range[0] == -math.inf and p.value > 0
               and not k.startswith(("dev.", "mem.", "op"))
               and not k.startswith("phys."))
    p = reg[key]
    f = tmp_path / "neg.toml"
    f.write_text(f'[params."{key}"]\nvalue = {-abs(p.value)!r}\nunit = "{p.unit}"\n'
                 f'source = "{p.source.key}"\nlocator = "x"\nevidence = "assumed"\n')
    with pytest.raises(ParamError, match="outside the valid range"):
        load_registry([f])


def test_non_finite_value_in_si_is_rejected(tmp_path):
    f = tmp_path / "big.toml"
    f.write_text('[sources.s]\ncitation = "c"\nurl = "https://x.org"\n'
                 '[params."user.big"]\nvalue = 1e300\nunit = "EJ"\nsource = "s"\nlocator = "x"\n'
                 'evidence = "assumed"\n')
    with pytest.raises(ParamError, match="not a finite number"):
        load_registry([f])


@pytest.mark.parametrize("text", [
    "params = 3\n", 'sources = "x"\n', "meta = 1\n", '[params]\n"a.b" = 3\n',
    '[sources]\ns = "x"\n',
])
def test_malformed_tables_are_named_errors(tmp_path, text):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ParamError, match="must be a table"):
        load_registry([f])


def test_non_utf8_parameter_file_is_a_named_error(tmp_path):
    f = tmp_path / "latin1.toml"
    f.write_bytes(b"# caf\xe9\n")
    with pytest.raises(ParamError, match="not UTF-8"):
        load_registry([f])


@pytest.mark.parametrize("content", [b"[1, 2]", b'"x"', b"\xff\xfe{}", b"3"])
def test_llm_cost_rejects_bad_json(tmp_path, content):
    from wattlab.workloads.llm import llm_config

    f = tmp_path / "config.json"
    f.write_bytes(content)
    with pytest.raises(SpecError):
        llm_config(f)


def test_weight_bits_true_is_not_a_1_bit_model(tmp_path):
    from wattlab.workloads.llm import llm_config

    f = tmp_path / "m.toml"
    f.write_text('[models."m"]\nlayers = 2\nhidden = 64\nheads = 4\nkv_heads = 4\nffn = 128\n'
                 "vocab = 100\nweight_bits = true\n")
    with pytest.raises(SpecError, match="weight_bits"):
        llm_config(f)


def test_cost_copies_and_freezes_its_dicts():
    energy = {"a": 1.0}
    c = Cost(energy, latency_s=1.0)
    energy["a"] = 99.0
    assert c.energy_j["a"] == 1.0
    with pytest.raises(TypeError):
        c.energy_j["a"] = 5.0  # type: ignore[index]
    again = pickle.loads(pickle.dumps(c))
    assert again == c and json.loads(c.to_json())["energy_j"] == {"a": 1.0}


@pytest.mark.parametrize("kwargs", [{"energy_j": {"x": "5"}}, {"energy_j": {"x": True}},
                                    {"energy_j": {"x": None}}, {"latency_s": "1"},
                                    {"energy_j": [1.0]}, {"counts": {"ops": math.nan}}])
def test_cost_rejects_non_numbers_with_a_wattlab_error(kwargs):
    with pytest.raises(WattlabError):
        Cost(**kwargs)


def test_cost_ratios_are_defined_or_errors():
    zero = Cost({"a": 0.0}, latency_s=0.0, counts={"ops": 0.0, "tokens": 0.0, "bits": 0.0})
    assert zero.power_w == 0.0 and zero.ops_per_s == 0.0 and zero.ops_per_j == 0.0
    assert zero.share() == {"a": 0.0}
    burst = Cost({"a": 1.0}, latency_s=0.0, counts={"ops": 5.0, "tokens": 0.0, "bits": 0.0})
    for attr in ("power_w", "ops_per_s", "j_per_token", "j_per_bit"):
        with pytest.raises(WattlabError, match=attr):
            getattr(burst, attr)
    free = Cost({"a": 0.0}, latency_s=1.0, counts={"ops": 5.0})
    with pytest.raises(WattlabError):
        _ = free.tops_per_w
    ok = Cost({"a": 2.0}, latency_s=4.0, counts={"ops": 8.0, "tokens": 2.0})
    assert (ok.power_w, ok.ops_per_s, ok.j_per_token) == (0.5, 2.0, 1.0)


@pytest.mark.parametrize("text", ["1e400 J", "-1e400 J", "1e300 EJ", "nan J", "inf W"])
def test_parse_quantity_rejects_non_finite(text):
    with pytest.raises(SpecError):
        parse_quantity(text)
