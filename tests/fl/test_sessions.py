"""Radio session overheads: RRC promotion and tail, listening between rounds, HARQ."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.systems.fl import EnergyLedger, EnergyModel, FedSpec, ModelSpec, Sessions
from wattlab.systems.fl.engine import plan_central, plan_federated

MODEL = ModelSpec(12, 4, hidden=8)


def _federated(energy: EnergyModel, rounds: int, n: int = 50, clients: int = 3) -> EnergyLedger:
    return plan_federated([n] * clients, 1e4, 12, MODEL, FedSpec(rounds=rounds), energy)


def _central(energy: EnergyModel, n: int, clients: int = 3) -> EnergyLedger:
    return plan_central([n] * clients, 8192.0, 1e4, 12, MODEL, FedSpec(rounds=5), energy)


def _rrc(ledger: EnergyLedger) -> float:
    by = ledger.by("phase")
    return by.get("rrc-promotion", 0.0) + by.get("rrc-tail", 0.0)


def test_total_includes_the_new_entries(energy: EnergyModel) -> None:
    for ledger in (_federated(energy, 4), _central(energy, 300)):
        phases = set(ledger.by("phase"))
        assert {"rrc-promotion", "rrc-tail"} <= phases
        assert any(p.endswith("-retx") for p in phases)
        assert ledger.total_j == math.fsum(e.energy_j for e in ledger)
        assert ledger.total_j == pytest.approx(math.fsum(ledger.by("phase").values()))
        assert ledger.total_j == pytest.approx(math.fsum(ledger.by("kind").values()))
    fed = _federated(energy, 4)
    assert "listen" in fed.by("phase") and fed.by("kind")["idle"] > 0
    assert "listen" not in _central(energy, 300).by("phase")  # only FL nodes wait for a model


def test_promotion_and_tail_scale_with_sessions(energy: EnergyModel) -> None:
    s = energy.sessions
    assert s.promotion_j > 0 and s.tail_j > 0
    # FL: one session per node per round (training fits in the tail) + 2 set-up sessions.
    e5, e10 = _rrc(_federated(energy, 5)), _rrc(_federated(energy, 10))
    assert e10 - e5 == pytest.approx(5 * (_rrc(_federated(energy, 2)) - _rrc(
        _federated(energy, 1))), rel=1e-12)
    promo = _federated(energy, 7).by("phase")["rrc-promotion"]
    assert promo == pytest.approx(3 * (7 + 2) * s.promotion_j, rel=1e-12)
    # Centralised: n / batch upload sessions per node plus one model push.
    b = s.batch_windows
    for k in (1, 2, 5):
        promo = _central(energy, int(k * b)).by("phase")["rrc-promotion"]
        assert promo == pytest.approx(3 * (k + 1) * s.promotion_j, rel=1e-12)
    tail = _central(energy, int(4 * b)).by("phase")["rrc-tail"]
    assert tail == pytest.approx(3 * 5 * s.tail_j, rel=1e-12)


def test_training_longer_than_the_tail_opens_a_new_session(energy: EnergyModel) -> None:
    slow = replace(energy, client=replace(energy.client, s_per_flop=1.0))  # training >> tail
    one = _federated(energy, 3).by("phase")["rrc-promotion"]
    two = _federated(slow, 3).by("phase")["rrc-promotion"]
    assert two - one == pytest.approx(3 * 3 * energy.sessions.promotion_j, rel=1e-12)


def test_zero_bler_gives_no_retransmission_energy(energy: EnergyModel) -> None:
    clean = replace(energy, sessions=replace(energy.sessions, bler=0.0))
    for ledger in (_federated(clean, 3), _central(clean, 200)):
        assert not [e for e in ledger if e.phase.endswith("-retx")]
    lossy = _federated(energy, 3).by("phase")
    f = 1 / (1 - energy.sessions.bler) - 1
    assert lossy["uplink-retx"] == pytest.approx(f * lossy["uplink"], rel=1e-12)


def test_no_overheads_is_per_bit_only(params: Registry) -> None:
    bare = EnergyModel.default(params, "lte", overheads=False)
    kinds = set(_federated(bare, 3).by("kind"))
    assert kinds == {"compute", "comm"}
    assert EnergyModel.default(params, "nbiot").sessions.tail_j == 0.0  # LTE state machine only


@pytest.mark.parametrize("field,value", [("bler", 1.0), ("bler", -0.1), ("tail_j", -1.0),
                                         ("batch_windows", 0.0)])
def test_bad_sessions_are_refused(field: str, value: float) -> None:
    with pytest.raises(SpecError, match=field):
        Sessions(**{field: value})
