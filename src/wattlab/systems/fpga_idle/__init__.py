"""FPGA accelerators serving intermittent requests: power off (On-Off), stay configured
(Idle-Waiting) or wait a timeout first (Hybrid); configuration-energy model; battery lifetime.

Reconstructs the model of "Idle is the New Sleep" (arXiv 2407.12027) as stated assumptions.
"""

from wattlab.systems.fpga_idle.config import ConfigModel, ConfigSettings
from wattlab.systems.fpga_idle.model import (
    IDLE_WAITING,
    ITEM_MODES,
    ON_OFF,
    NodeModel,
    Policy,
    hybrid,
    infer_preset,
    items_ratio,
    period_for_lifetime,
    period_for_ratio,
)
from wattlab.systems.fpga_idle.sim import Arrivals, SimResult, simulate

__all__ = ["IDLE_WAITING", "ITEM_MODES", "ON_OFF", "Arrivals", "ConfigModel", "ConfigSettings",
           "NodeModel", "Policy", "SimResult", "hybrid", "infer_preset", "items_ratio",
           "period_for_lifetime", "period_for_ratio", "simulate"]
