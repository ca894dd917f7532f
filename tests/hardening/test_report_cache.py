"""Issue 19 items 2, 5, 8 and 13: escaped report, validated output, checked cache, lock."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from wattlab.errors import SpecError, StudyError
from wattlab.report import safe_url
from wattlab.reproduce import RunLock, _checksum, reproduce

QUICK = ["hostile.a-quick"]


def runs(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


EVIL = '''
[sources.evil]
citation = "<script>alert('cite')</script>"
url = "https://example.org/\\"><script>alert('url')</script>"

[params."phys.room_temperature"]
value = 300
unit = "K"
source = "evil"
locator = "<img src=x onerror=alert('loc')>"
evidence = "assumed"
'''


def test_report_html_escapes_everything(inproc, tmp_path):
    f = tmp_path / "evil.toml"
    f.write_text(EVIL)
    out = tmp_path / "r"
    reproduce(QUICK, out=out, param_files=[str(f)])
    html = (out / "report.html").read_text()
    # one script: the report's own (sort/filter); no injected one
    assert html.count("<script") == 1 and "<script>alert" not in html
    assert "<img src=x" not in html and "<b>hostile" not in html
    assert "&lt;script&gt;alert(&#39;cite&#39;)" in html
    assert 'href="https://example.org/"' not in html  # the forged URL is never a link
    md = (out / "report.md").read_text()
    assert "<script>" not in md and "<img" not in md


@pytest.mark.parametrize("url, link", [
    ("https://doi.org/10.1/x", "https://doi.org/10.1/x"), ("http://a.b/c", "http://a.b/c"),
    ("doi:10.1109/ISSCC.2014.6757323", "https://doi.org/10.1109/ISSCC.2014.6757323"),
    ("arXiv:2401.01234", "https://arxiv.org/abs/2401.01234"),
    ("javascript:alert(1)", ""), ("data:text/html,x", ""), ("https://a.b/\"onx=1", ""),
    ("//evil.org/x", ""), ("https:///x", ""), ("HTTPS://A.B", "HTTPS://A.B"),
])
def test_safe_url_links_only_http_doi_arxiv(url, link):
    assert safe_url(url) == link


def test_cache_key_covers_provenance(inproc, tmp_path):
    out = tmp_path / "r"
    reproduce(QUICK, out=out)
    n = len(runs(inproc))  # the run and its sensitivity reruns
    reproduce(QUICK, out=out)
    assert len(runs(inproc)) == n  # cached
    f = tmp_path / "same-value-other-source.toml"
    f.write_text(EVIL)
    reproduce(QUICK, out=out, param_files=[str(f)])
    assert len(runs(inproc)) > n  # recomputed, not reused
    assert "alert(&#39;cite&#39;)" in (out / "report.html").read_text()
    reproduce(QUICK, out=out)  # and back: the default citation again
    assert "alert(&#39;cite&#39;)" not in (out / "report.html").read_text()


def _file(t: Path) -> Path:
    (t / "file").write_text("x")
    return t / "file"


@pytest.mark.parametrize("make, err", [
    (lambda t: _file(t), "is a file"),
    (lambda t: _file(t) / "sub", "which is a file"),
    (lambda t: t / ("x" * 300), "longer than"),
])
def test_bad_out_is_rejected_before_any_study(inproc, tmp_path, make, err):
    out = make(tmp_path)
    with pytest.raises(SpecError, match=err):
        reproduce(QUICK, out=out)
    assert runs(inproc) == []


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="root ignores directory permissions")
def test_read_only_out_is_rejected(inproc, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(SpecError, match="not writable"):
            reproduce(QUICK, out=ro / "r")
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("kwargs", [{"seed": -1}, {"seed": 2**40}, {"seed": 1.5},
                                    {"param_files": ["/no/such.toml"]}])
def test_bad_input_keeps_the_good_report(inproc, tmp_path, kwargs):
    out = tmp_path / "r"
    reproduce(QUICK, out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    with pytest.raises((SpecError, Exception)):
        reproduce(QUICK, out=out, **kwargs)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_report_written_only_when_whole(inproc, tmp_path, monkeypatch):
    import wattlab.report as rep

    out = tmp_path / "r"
    reproduce(QUICK, out=out)
    before = (out / "report.md").read_bytes(), (out / "results.json").read_bytes()

    def broken(html: bool = True):
        raise RuntimeError("template failure")

    monkeypatch.setattr(rep, "_env", broken)
    with pytest.raises(RuntimeError):
        reproduce(QUICK, out=out, seed=1)
    assert ((out / "report.md").read_bytes(), (out / "results.json").read_bytes()) == before
    assert not (out / ".lock").exists()


def _entry(out: Path) -> Path:
    return out / ".cache" / "hostile.a-quick.json"


def _forge(out: Path, change) -> None:
    p = _entry(out)
    entry = json.loads(p.read_text())
    change(entry["record"])
    entry["sha256"] = _checksum(entry["record"])
    p.write_text(json.dumps(entry))


@pytest.mark.parametrize("damage", [
    lambda p: p.write_text("[]"),
    lambda p: p.write_text("{}"),
    lambda p: p.write_bytes(b"\xff\xfe\x00"),
    lambda p: (p.unlink(), p.mkdir(), (p / "x").write_text("y")),
    lambda p: _forge(p.parents[1], lambda r: r.__setitem__("figures", {"f": "zz"})),
    lambda p: _forge(p.parents[1], lambda r: r.__setitem__("id", "hostile.b-broken")),
    lambda p: _forge(p.parents[1], lambda r: r.__setitem__("verdict", "not-reproduced")),
    lambda p: _forge(p.parents[1], lambda r: r.__setitem__("value", 1e9)),
    lambda p: _forge(p.parents[1], lambda r: r.pop("params")),
    lambda p: _forge(p.parents[1], lambda r: r.__setitem__("seed", "0")),
])
def test_damaged_or_forged_cache_entry_is_recomputed(inproc, tmp_path, damage):
    out = tmp_path / "r"
    good = reproduce(QUICK, out=out)[0]
    n = len(runs(inproc))
    damage(_entry(out))
    with pytest.warns(UserWarning, match="corrupted"):
        rec = reproduce(QUICK, out=out)[0]
    assert len(runs(inproc)) == 2 * n  # run again
    assert rec["verdict"] == good["verdict"] and rec["value"] == good["value"]
    assert _entry(out).is_file()


def test_lock_names_the_holder_and_stale_lock_is_taken_over(inproc, tmp_path):
    out = tmp_path / "r"
    with RunLock(out), pytest.raises(SpecError, match=f"pid {os.getpid()}"):
        reproduce(QUICK, out=out)
    assert runs(inproc) == []
    out.mkdir(exist_ok=True)
    import socket

    (out / ".lock").write_text(f"999999999 {socket.gethostname()}")  # no such process
    reproduce(QUICK, out=out)
    assert runs(inproc) and not (out / ".lock").exists()


def test_only_rerun_leaves_no_stale_figures(inproc, tmp_path):
    out = tmp_path / "r"
    reproduce(QUICK, out=out)
    assert (out / "figures" / "hostile.a-quick" / "fig-one.png").is_file()
    reproduce(["hostile.b-broken"], out=out)
    assert not (out / "figures").exists() or not any((out / "figures").iterdir())


def test_report_files_follow_the_umask(inproc, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "r"
        reproduce(QUICK, out=out)
    finally:
        os.umask(old)
    for name in ("report.html", "report.md", "results.json"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name
    assert stat.S_IMODE((out / "figures" / "hostile.a-quick" / "fig-one.png").stat().st_mode) == 0o644


def test_study_id_cannot_escape_figures():
    from wattlab.study import Claim, Outcome, Study

    for bad in ("..", ".x", "a/b", ""):
        with pytest.raises(StudyError):
            Study(bad, "p", "0", Claim("c", "m", "u", 1.0), lambda ctx: Outcome(1.0),
                  "modelled", "b")


def test_checksum_helper_is_sha256():
    rec = {"a": 1}
    assert _checksum(rec) == hashlib.sha256(b'{"a": 1}').hexdigest()
