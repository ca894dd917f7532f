import numpy as np
import pytest

from wattlab.params import default_registry
from wattlab.substrates.fpga import vhdl
from wattlab.systems.soft_sensor import Flume, SearchSpace, flume_task, pareto_mask, search

REG = default_registry()


def test_flume_normal_depth_solves_manning_and_levels_rise_with_flow():
    f = Flume.from_params(REG)
    q = np.array([0.005, 0.01, 0.02])
    s = np.full(3, 0.002)
    h = f.normal_depth(q, s)
    back = f.width * h * (f.width * h / (f.width + 2 * h)) ** (2 / 3) * np.sqrt(s) / f.manning_n
    assert np.allclose(back, q, rtol=1e-9)
    assert np.all(np.diff(f.weir_depth(q)) > 0)
    levels, flow = f.sample(4000, np.random.default_rng(0))
    assert levels.shape == (4000, 3)
    assert np.corrcoef(levels[:, 2], flow)[0, 1] > 0.9  # the near-weir sensor tracks the flow


def test_pareto_mask_matches_brute_force():
    pts = np.random.default_rng(1).random((60, 2))
    mask = pareto_mask(pts)
    for i, p in enumerate(pts):
        dominated = any((q <= p).all() and (q < p).any() for q in pts)
        assert mask[i] == (not dominated)


def test_search_is_seeded_and_chooses_from_the_front():
    pytest.importorskip("torch", reason="training the candidates needs torch")
    task = flume_task(REG, np.random.default_rng(0), 600)
    space = SearchSpace(layers=(1,), neurons=(4, 8), bits=(6, 8))
    a = search(task, space, REG, np.random.default_rng(5), steps=25)
    b = search(task, space, REG, np.random.default_rng(5), steps=25)
    assert [r["mape_pct"] for r in a.rows] == [r["mape_pct"] for r in b.rows]
    assert a.chosen in a.front and a.rows[a.chosen]["pareto"]
    if vhdl.ghdl_path() is not None:
        from wattlab.systems.soft_sensor import export_and_check

        chk = export_and_check(a.built[a.chosen], task, n_vectors=40)
        assert chk["mismatches"] == 0 and chk["cycles_sim"] == chk["cycles_model"]


def test_waterflow_task_windows():
    pytest.importorskip("river", reason="the WaterFlow series ships with river (pip install river)")
    from wattlab.systems.soft_sensor import waterflow_task

    t = waterflow_task(6)
    assert t.x_train.shape[1:] == (6, 1) and len(t.x_val) > 100
    assert np.abs(t.x_train).max() <= 1 + 1e-12


def test_node_tie_in_crossover_and_lifetime():
    from wattlab.systems.soft_sensor.node import lifetime_rows, node_for

    node = node_for("ice40up5k", 1e-8, 20e-6, REG)
    assert node.p_idle == REG.value("dev.ice40up5k.static_power")
    t_star = node.crossover()
    fast = {r["policy"]: r["lifetime_days"] for r in lifetime_rows(node, t_star / 10, 4147)}
    slow = {r["policy"]: r["lifetime_days"] for r in lifetime_rows(node, t_star * 10, 4147)}
    assert fast["idle-waiting"] > fast["on-off"] and slow["on-off"] > slow["idle-waiting"]


@pytest.mark.slow
def test_waterflow_lstm_is_exported_bit_exact():
    pytest.importorskip("river", reason="the WaterFlow series ships with river (pip install river)")
    pytest.importorskip("torch", reason="training the candidates needs torch")
    if vhdl.ghdl_path() is None:
        pytest.skip(vhdl.GHDL_HINT)
    from wattlab.systems.soft_sensor import export_and_check, waterflow_task

    task = waterflow_task(6)
    res = search(task, SearchSpace(kinds=("lstm",), layers=(1,), neurons=(4,), bits=(8,)), REG,
                 np.random.default_rng(0), steps=20)
    b = res.built[res.chosen]
    assert b.cell is not None and b.cell.spec.shared_act  # fits the iCE40's 8 DSPs
    chk = export_and_check(b, task, n_vectors=30)
    assert chk["mismatches"] == 0 and chk["cycles_sim"] == chk["cycles_model"]
