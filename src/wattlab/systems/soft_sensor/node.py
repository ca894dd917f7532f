"""Tie-in with the Idle-Waiting node model: a soft sensor's energy per inference on a catalogue
FPGA becomes a :class:`~wattlab.systems.fpga_idle.NodeModel`, whose lifetime under intermittent
sensing is compared for On-Off, Idle-Waiting and the break-even hybrid.

Assumptions: the configured-idle FPGA draws its static power (clock stopped); configuration
energy/time is the XC7S15 configuration model (UG470 bitstream, optimised SPI settings, assumed
board powers; ``idle_waiting.*``) or the iCE40UP5K's assumed figures (``soft_sensor.*``);
power when off and the MCU's base power are zero (the FPGA domain only).
"""

from __future__ import annotations

import math
from typing import Any

from wattlab.errors import SpecError
from wattlab.params import Registry
from wattlab.substrates.fpga.energy import FPGADevice
from wattlab.systems.fpga_idle import (
    IDLE_WAITING,
    ON_OFF,
    ConfigModel,
    ConfigSettings,
    NodeModel,
    Policy,
    hybrid,
)


def node_for(device: str, e_inf: float, t_inf: float, params: Registry) -> NodeModel:
    dev = FPGADevice.from_registry(device, params)
    if dev.name == "xc7s15":
        cm, s = ConfigModel.from_params(params), ConfigSettings.optimised(params)
        e_cfg, t_cfg = cm.energy_j(s), cm.time_s(s)
    elif dev.name == "ice40up5k":
        e_cfg, t_cfg = params.values("soft_sensor.ice40_config_energy",
                                     "soft_sensor.ice40_config_time")
    else:
        raise SpecError(f"no configuration model for '{device}'; use xc7s15 or ice40up5k, or "
                        "build a NodeModel yourself")
    return NodeModel(e_cfg=e_cfg, t_cfg=t_cfg, e_inf=e_inf, t_inf=t_inf,
                     p_idle=dev.static_power)


def policies(node: NodeModel) -> list[Policy]:
    tau = node.break_even_timeout()
    out = [ON_OFF, IDLE_WAITING]
    if math.isfinite(tau):
        out.append(hybrid(tau))
    return out


def lifetime_rows(node: NodeModel, period_s: float, budget_j: float) -> list[dict[str, Any]]:
    """Energy per request and lifetime per policy at a fixed period."""
    rows = []
    for pol in policies(node):
        e = float(node.energy_per_request(period_s, pol))
        life = float(node.lifetime(period_s, budget_j, pol))
        rows.append({"policy": pol.name, "energy_per_request_J": e,
                     "lifetime_days": life / 86400 if math.isfinite(life) else math.nan,
                     "items": budget_j / e if e > 0 else math.inf})
    return rows
