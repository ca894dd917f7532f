import json
import os
from pathlib import Path

import pytest

from wattlab import ParamError, SpecError, StudyError
from wattlab.reproduce import reproduce

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake(monkeypatch, tmp_path):
    monkeypatch.setenv("WATTLAB_STUDIES", "tests.core.fake_studies")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    log = tmp_path / "runs.log"
    monkeypatch.setenv("WATTLAB_TEST_LOG", str(log))
    return log


def runs(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_report_results_and_verdicts(fake, tmp_path):
    out = tmp_path / "r"
    recs = reproduce(["fake"], out=out, jobs=2)
    by = {r["id"]: r for r in recs}
    assert by["fake.kt"]["verdict"] == "reproduced"  # kT(300 K) = 4.14 zJ
    assert by["fake.unchecked"]["verdict"] == "not-checkable-here"
    assert "deliberate failure" in by["fake.broken"]["error"]
    results = json.loads((out / "results.json").read_text())
    assert [r["id"] for r in results] == ["fake.kt", "fake.broken", "fake.unchecked"]
    kt = results[0]
    assert kt["evidence"] == "modelled" and kt["boundary"] == "thermal only"
    # the room temperature is an assumed key: doubling it doubles kT and flips the verdict
    assert kt["decided_by"] == ["phys.room_temperature"]
    (pt,) = kt["sensitivity"]
    assert pt["key"] == "phys.room_temperature" and (pt["low"], pt["high"]) == (150.0, 500.0)  # valid range
    assert pt["value_high"] == pytest.approx(4.1419 * 500 / 300, rel=1e-3)
    assert pt["verdict_low"] == pt["verdict_high"] == "not-reproduced"
    html = (out / "report.html").read_text()
    kt_section = html[html.index('id="fake.kt"'):html.index('id="fake.broken"')]
    assert '<svg class="tornado"' in kt_section and ">flips</text>" in kt_section
    schema = json.loads((out / "results.schema.json").read_text())
    jsonschema = pytest.importorskip("jsonschema", reason="schema validation needs jsonschema")
    jsonschema.validate(results, schema)
    assert kt["paper_value"] == 4.14 and kt["arxiv"] == "0000.00001"
    md = (out / "report.md").read_text()
    assert "| `fake.kt` |" in md and "phys.boltzmann" in md and "phys.room_temperature" in md
    assert "decided by assumed phys.room_temperature" in md
    assert "| phys.room_temperature | 300 | 150 | 500 |" in md  # a real Markdown table row
    assert "| a | b |\n|---|---|\n| 1 | 2.5 |" in md
    assert "1 verdict decided by an assumed parameter" in md and "1 error" in md
    html = (out / "report.html").read_text()
    assert "<table>" in html and "error" in html


def test_resume_reuses_finished_studies_and_retries_failed(fake, tmp_path):
    out = tmp_path / "r"
    reproduce(["fake"], out=out)
    assert sorted(runs(fake)) == ["fake.broken", "fake.kt", "fake.unchecked"]
    reproduce(["fake"], out=out)
    assert sorted(runs(fake)) == ["fake.broken", "fake.broken", "fake.kt", "fake.unchecked"]


def test_same_seed_same_value_and_seed_changes_key(fake, tmp_path):
    a = reproduce(["fake.kt"], out=tmp_path / "a")[0]["value"]
    b = reproduce(["fake.kt"], out=tmp_path / "b")[0]["value"]
    c = reproduce(["fake.kt"], out=tmp_path / "b", seed=1)[0]["value"]
    assert a == b != c


def test_corrupted_cache_entry_is_recomputed(fake, tmp_path):
    out = tmp_path / "r"
    reproduce(["fake.kt"], out=out)
    entry = out / ".cache" / "fake.kt.json"
    data = json.loads(entry.read_text())
    data["record"]["value"] = 999.0  # tampered: checksum no longer matches
    entry.write_text(json.dumps(data))
    with pytest.warns(UserWarning, match="corrupted"):
        rec = reproduce(["fake.kt"], out=out)[0]
    assert rec["value"] != 999.0 and runs(fake) == ["fake.kt", "fake.kt"]
    entry.write_text("{not json")
    with pytest.warns(UserWarning, match="corrupted"):
        reproduce(["fake.kt"], out=out)
    assert len(runs(fake)) == 3


def test_param_override_changes_value_and_invalidates_cache(fake, tmp_path):
    out = tmp_path / "r"
    base = reproduce(["fake.kt"], out=out)[0]["value"]
    f = tmp_path / "hot.toml"
    f.write_text('[params."phys.room_temperature"]\nvalue = 400\nunit = "K"\n'
                 'source = "codata2018"\nlocator = "test"\nevidence = "assumed"\n')
    hot = reproduce(["fake.kt"], out=out, param_files=[str(f)])[0]
    assert hot["value"] == pytest.approx(base * 4 / 3, rel=1e-4)
    assert hot["verdict"] == "not-reproduced"
    assert hot["params"]["phys.room_temperature"]["given"] == "400 K"


@pytest.mark.parametrize("kwargs, err", [
    ({"ids": ["nope"]}, StudyError), ({"jobs": 0}, SpecError),
    ({"param_files": ["/nonexistent.toml"]}, ParamError)])
def test_bad_input_writes_nothing(fake, tmp_path, kwargs, err):
    out = tmp_path / "r"
    ids = kwargs.pop("ids", ["fake.kt"])
    with pytest.raises(err):
        reproduce(ids, out=out, **kwargs)
    assert not out.exists()


@pytest.mark.slow
def test_runs_on_a_local_ray_cluster(fake, tmp_path):
    pytest.importorskip("ray", reason="Ray is the optional 'dist' extra")
    recs = reproduce(["fake.kt"], out=tmp_path / "r", cluster="local")
    assert recs[0]["verdict"] == "reproduced" and runs(fake) == ["fake.kt"]
