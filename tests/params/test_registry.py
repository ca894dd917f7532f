"""The parameter registry: loading, validation messages, overrides, digest, tracking, and the
shipped data files' own consistency."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from wattlab.errors import ParamError
from wattlab.params import Param, Registry, default_registry, describe, load_registry
from wattlab.units import to_si

SOURCE = '[sources.s]\ncitation = "A. Author, A paper, 2024"\nurl = "https://example.org/p"\n'


def entry(key: str = "t.x", **fields: object) -> str:
    """A valid entry, with ``fields`` replacing (or, with value None, removing) its fields."""
    spec: dict[str, object] = {"value": 1.0, "unit": "pJ", "source": "s", "locator": "Table 1",
                               "evidence": "published", "min": 0, "max": 10}
    spec.update(fields)
    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in spec.items() if v is not None]
    return f'[params."{key}"]\n' + "\n".join(lines) + "\n"


def write(tmp_path: Path, text: str, name: str = "user.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- bad files: each rejected with the file, the entry and the field named -----------------------

BAD_FILES = [
    ("malformed", SOURCE + '[params."t.x"\nvalue = 1\n', ["not valid TOML"]),
    ("missing source field", SOURCE + entry(source=None), ["entry 't.x'", "field 'source'"]),
    ("undefined source", SOURCE + entry(source="nobody"),
     ["entry 't.x'", "field 'source'", "'nobody' is not defined"]),
    ("bad evidence", SOURCE + entry(evidence="rumour"), ["entry 't.x'", "field 'evidence'"]),
    ("out of range", SOURCE + entry(value=20.0), ["entry 't.x'", "field 'value'", "outside"]),
    ("unknown unit", SOURCE + entry(unit="pJ/furlong"),
     ["entry 't.x'", "field 'unit'", "furlong"]),
    ("non-finite value", SOURCE + entry(value=None) + "value = nan\n",
     ["entry 't.x'", "field 'value'", "finite"]),
    ("missing locator", SOURCE + entry(locator=None), ["entry 't.x'", "field 'locator'"]),
    ("unknown field", SOURCE + entry(vaule=2.0), ["entry 't.x'", "vaule"]),
    ("bad url", '[sources.s]\ncitation = "c"\nurl = "example.org"\n' + entry(),
     ["source 's'", "field 'url'"]),
    ("unknown table", SOURCE + entry() + "[extras]\nx = 1\n", ["unknown top-level", "extras"]),
    ("wrong schema", "schema = 99\n" + SOURCE + entry(), ["field 'schema'", "99"]),
    ("unit dimension changed", entry("op45.int8_add", source="horowitz2014", unit="pJ/bit"),
     ["entry 'op45.int8_add'", "field 'unit'", "J/bit"]),
]


@pytest.mark.parametrize(("text", "fragments"), [(t, f) for _, t, f in BAD_FILES],
                         ids=[name for name, _, _ in BAD_FILES])
def test_bad_file_is_rejected_naming_file_entry_and_field(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(ParamError) as info:
        load_registry([path])
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_missing_override_file_is_named(tmp_path):
    with pytest.raises(ParamError, match="does not exist"):
        load_registry([tmp_path / "absent.toml"])


@pytest.mark.parametrize("literal", ["true", '"3.9"'])
def test_non_numeric_value_is_rejected(tmp_path, literal):
    path = write(tmp_path, SOURCE + entry(value=None) + f"value = {literal}\n")
    with pytest.raises(ParamError, match="field 'value'"):
        load_registry([path])


# -- lookups ------------------------------------------------------------------------------

def test_unknown_key_suggests_close_matches():
    with pytest.raises(ParamError, match=r"did you mean .*op45\.int8_add"):
        default_registry()["op45.int8_ad"]


def test_unknown_key_without_close_match_points_to_listing():
    with pytest.raises(ParamError, match="wattlab params list"):
        default_registry()["zzzz"]


def test_membership_and_get_follow_the_mapping_protocol():
    reg = default_registry()
    assert "op45.int8_add" in reg
    assert "no.such_key" not in reg
    assert reg.get("no.such_key") is None


def test_values_are_si():
    reg = default_registry()
    assert reg.value("op45.int8_add") == pytest.approx(0.03e-12)
    assert reg["op45.int8_add"].unit == "J"
    assert reg.values("mem.hbm2.e_bit", "mem.hbm3.bw") == pytest.approx((3.9e-12, 819e9 * 8))


# -- overrides ----------------------------------------------------------------------------

def test_override_layers_over_defaults(tmp_path):
    first = write(tmp_path, entry("op45.int8_add", source="horowitz2014", value=0.05,
                                  evidence="measured", min=None, max=None)
                  + SOURCE + entry("user.new", value=2.0),
                  "a.toml")
    second = write(tmp_path, entry("op45.int8_add", source="horowitz2014", value=0.07,
                                   min=None, max=None), "b.toml")
    base = default_registry()
    layered = load_registry([first, second])
    assert layered.value("op45.int8_add") == pytest.approx(0.07e-12)  # the last file wins
    assert layered["op45.int8_add"].file == str(second)
    assert layered.value("user.new") == pytest.approx(2e-12)
    assert layered.value("op45.fp32_add") == base.value("op45.fp32_add")
    assert base.value("op45.int8_add") == pytest.approx(0.03e-12)  # defaults untouched
    assert len(layered) == len(base) + 1


def test_override_may_change_prefix_within_a_dimension(tmp_path):
    path = write(tmp_path, entry("op45.int8_add", source="horowitz2014", value=30.0, unit="fJ",
                                 max=100.0))
    assert load_registry([path]).value("op45.int8_add") == pytest.approx(30e-15)


def test_with_value_relabels_and_range_checks():
    reg = default_registry()
    changed = reg.with_value("photonic.laser_wpe", 0.3, "vendor datasheet")
    assert changed.value("photonic.laser_wpe") == 0.3
    assert changed["photonic.laser_wpe"].evidence == "assumed"
    assert "vendor datasheet" in changed["photonic.laser_wpe"].note
    with pytest.raises(ParamError, match=r"photonic\.laser_wpe"):
        reg.with_value("photonic.laser_wpe", 1.5, "impossible")


# -- digest and tracking -------------------------------------------------------------------

def test_digest_covers_values_and_provenance(tmp_path):
    """A cache keyed on the digest must not serve a record that quotes an old citation."""
    reg = default_registry()
    assert reg.digest() == load_registry().digest()
    assert reg.digest() != reg.with_value("op45.int8_add", 0.031e-12, "t").digest()
    moved = write(tmp_path, entry("op45.int8_add", source="horowitz2014", value=0.03,
                                  locator="elsewhere", min=None, max=None))
    assert load_registry([moved]).digest() != reg.digest()
    assert re.fullmatch(r"[0-9a-f]{16}", reg.digest())


def test_tracking_records_used_keys():
    reg = default_registry()
    tracked = reg.tracking()
    assert reg.used is None and tracked.used == set()
    tracked["op45.int8_add"]
    tracked.values("op45.fp32_add", "mem.hbm2.e_bit")
    tracked.subset("op45.fp32_mult")
    changed = tracked.with_value("op45.fp16_add", 0.5e-12, "t")
    changed.value("op45.fp16_add")
    assert tracked.used == {"op45.int8_add", "op45.fp32_add", "mem.hbm2.e_bit",
                            "op45.fp32_mult", "op45.fp16_add"}
    assert reg.used is None


# -- the shipped data -------------------------------------------------------------------------

#: The files seeded from the research notes §2, with their key namespaces.
SEEDED = {"horowitz45.toml": "op45.", "memory.toml": "mem.", "adc.toml": "adc.",
          "photonics.toml": "photonic.", "scaling.toml": "scale.",
          "physics.toml": "phys."}


def seeded() -> list[Param]:
    reg = default_registry()
    return [reg[k] for k in reg if Path(reg[k].file).name in SEEDED]


def test_every_default_entry_is_sourced_namespaced_and_in_range():
    reg = default_registry()
    for key in reg:
        p = reg[key]
        assert re.fullmatch(r"[a-z][a-z0-9_]*\.[A-Za-z0-9_.]+", key), key
        assert p.source.url.startswith(("https://", "http://", "doi:", "arXiv:")), key
        assert p.locator.strip(), key
        assert p.valid_range[0] <= p.value <= p.valid_range[1], key
        to_si(1.0, p.unit)  # the stored SI unit parses again
        assert describe(p)["citation"] == p.source.citation


def test_seeded_files_use_their_namespace_and_explain_assumptions():
    params = seeded()
    assert len(params) > 100
    for p in params:
        assert p.key.startswith(SEEDED[Path(p.file).name]), p.key
        if p.evidence == "assumed":  # an assumption always says why
            assert p.note.strip(), p.key


def test_recalled_numbers_are_never_labelled_published():
    for p in seeded():
        if "[R]" in p.note or "ow confidence" in p.note or "not re-read" in p.locator:
            assert p.evidence in ("assumed", "derived"), p.key


def test_derived_mac_energies_are_multiply_plus_add():
    reg = default_registry()
    for fmt in ("int8", "fp16", "fp32"):
        mult, add, mac = reg.values(f"op45.{fmt}_mult", f"op45.{fmt}_add", f"op45.{fmt}_mac")
        assert mac == pytest.approx(mult + add, rel=1e-12)


def test_hbm_bandwidth_is_pin_rate_times_width():
    reg = default_registry()
    # 6.4 Gb/s per pin x 1024 pins, to 3 significant figures as tabulated
    assert reg.value("mem.hbm3.bw") == pytest.approx(6.4e9 * 1024, rel=2e-3)
    assert reg.value("mem.lpddr5x.bw") == pytest.approx(8.533e9 * 64, rel=5e-3)


def test_node_tagged_entries_have_plausible_nodes():
    nodes = {p.node_nm for p in seeded() if p.node_nm is not None}
    assert nodes <= {7, 10, 14, 16, 20, 28, 32, 45, 65, 90, 130}
    assert all(p.node_nm == 45 for p in seeded() if p.key.startswith("op45."))


def test_registry_from_mapping_is_independent():
    reg = Registry({"op45.int8_add": default_registry()["op45.int8_add"]})
    assert len(reg) == 1 and list(reg) == ["op45.int8_add"]
    assert math.isfinite(reg.value("op45.int8_add"))


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_each_seeded_file_is_self_contained(name):
    from importlib import resources

    from wattlab.params import _parse_file

    text = (resources.files("wattlab.params") / "data" / name).read_text(encoding="utf-8")
    params = _parse_file(text, name, {})  # no sources borrowed from other files
    assert params and all(k.startswith(SEEDED[name]) for k in params)


def test_values_without_keys_is_an_error_not_an_empty_tuple():
    with pytest.raises(ParamError, match="needs the keys"):
        default_registry().values()


def test_an_override_of_a_merged_away_key_names_its_new_key(tmp_path):
    f = tmp_path / "old.toml"
    f.write_text('[sources.me]\ncitation = "me"\nurl = "https://example.org"\n'
                 '[params."zkp.h100.tdp_w"]\nvalue = 650\nunit = "W"\nsource = "me"\n'
                 'locator = "x"\nevidence = "measured"\n')
    with pytest.raises(ParamError, match=r"'zkp.h100.tdp_w' was merged away.*set 'dev.h100.tdp'"):
        load_registry([f])


def test_renamed_keys_point_at_keys_that_exist():
    from wattlab.params import renamed_keys

    reg = default_registry()
    for old, new in renamed_keys().items():
        assert old not in reg, old
        if " " not in new and not new.endswith(")"):
            assert new in reg, (old, new)


def test_no_default_key_is_an_orphan():
    """Every shipped value is read by some code (the static scan of params.usage)."""
    from wattlab.params.usage import unused

    assert list(unused(default_registry())) == []


def test_usage_scan_finds_literal_fstring_and_prefix_readers(tmp_path):
    from wattlab.params.usage import readers_of, scan

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text('_P = "foo."\n'
                              'def a(p):\n    return p.value("bar.baz")\n'
                              'def b(p, n):\n    return p.value(f"dev.{n}.tdp")\n'
                              'def c(p):\n    return p.value(_P + "x")\n')
    rs = scan(pkg)
    assert readers_of("bar.baz", rs) == ["pkg.m:a"]
    assert readers_of("dev.h100.tdp", rs) == ["pkg.m:b"]
    assert readers_of("dev.h100.idle_power", rs) == []
    assert "pkg.m:c" in readers_of("foo.x", rs)


def test_reference_files_parse_and_are_not_loaded():
    from importlib import resources

    from wattlab.params import _parse_file

    ref = resources.files("wattlab.params") / "reference"
    files = [f for f in ref.iterdir() if f.name.endswith(".toml")]
    assert files
    reg = default_registry()
    for f in files:
        entries = _parse_file(f.read_text(encoding="utf-8"), f.name, {})
        assert entries and not set(entries) & set(reg.params), f.name


@pytest.mark.parametrize("key", ["dev.h100.tdp", "mem.hbm3.bw", "mem.newtech.e_bit", "op45.int8_add"])
def test_a_negative_catalogue_value_is_an_error_naming_file_entry_and_field(tmp_path, key):
    f = tmp_path / "neg.toml"
    f.write_text('[sources.me]\ncitation = "me"\nurl = "https://example.org"\n'
                 f'[params."{key}"]\nvalue = -1\nunit = "W"\nsource = "me"\n'
                 'locator = "x"\nevidence = "measured"\n')
    with pytest.raises(ParamError, match=rf"neg.toml: entry '{re.escape(key)}', field 'value'"):
        load_registry([f])


def test_an_h100_tdp_override_reaches_every_model_that_prices_an_h100(tmp_path):
    """One catalogue value, read by every paper: the ZKP engine, the GZKP baseline, the roofline
    and the LLM request cost all move with dev.h100.tdp set in a parameter file."""
    from wattlab.hardware import Device
    from wattlab.kernels.engine_cost import engine, gzkp_ntt_cost
    from wattlab.workloads.llm import request_cost

    f = tmp_path / "h100.toml"
    f.write_text('[sources.me]\ncitation = "my meter"\nurl = "https://example.org"\n'
                 '[params."dev.h100.tdp"]\nvalue = 350\nunit = "W"\nsource = "me"\n'
                 'locator = "x"\nevidence = "measured"\n')
    base, mine = default_registry(), load_registry([f])
    assert engine(mine, "h100").power_w == 350 != engine(base, "h100").power_w
    assert (gzkp_ntt_cost(mine, "bn254", 12).energy_total_j
            < gzkp_ntt_cost(base, "bn254", 12).energy_total_j)
    for reg in (base, mine):
        assert Device.from_registry("h100", reg).tdp == reg.value("dev.h100.tdp")
    e = [request_cost("llama-3.2-1b", Device.from_registry("h100", r), 128, 32,
                      params=r).energy_total_j for r in (base, mine)]
    assert e[0] != e[1]
