"""The plant and tariff of an integrated energy system, read from the registry (``ies.*``).

Every value is SI: powers in W, energies in J, prices in USD/J. The LP works in kW and kWh
internally for conditioning; :class:`Plant` converts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry

_KEYS = {
    "chp_cap": "ies.chp.capacity", "chp_eta_e": "ies.chp.eta_e", "chp_eta_h": "ies.chp.eta_h",
    "boiler_cap": "ies.boiler.capacity", "boiler_eta": "ies.boiler.efficiency",
    "hp_cap": "ies.hp.capacity", "hp_cop": "ies.hp.cop",
    "ac_cap": "ies.ac.capacity", "ac_cop": "ies.ac.cop",
    "ec_cap": "ies.ec.capacity", "ec_cop": "ies.ec.cop",
    "bat_cap": "ies.battery.capacity", "bat_power": "ies.battery.power",
    "bat_rt": "ies.battery.round_trip",
    "ts_cap": "ies.ts.capacity", "ts_power": "ies.ts.power", "ts_loss": "ies.ts.loss_per_hour",
    "imp_max": "ies.grid.import_limit", "exp_max": "ies.grid.export_limit",
    "hr_cop": "ies.hr.cop", "hr_capture": "ies.hr.capture",
    "price_offpeak": "ies.price.offpeak", "price_shoulder": "ies.price.shoulder",
    "price_peak": "ies.price.peak", "export_ratio": "ies.price.export_ratio",
    "gas_price": "ies.price.gas", "imbalance_premium": "ies.price.imbalance_premium",
}


@dataclass(frozen=True)
class Plant:
    """Sizes (W, J), efficiencies and COPs (1), prices (USD/J) of the IES.

    ``heat_recovery=False`` switches the data-centre heat-recovery heat pump off (the
    counterfactual for the heat-recovery share of cost).
    """

    chp_cap: float
    chp_eta_e: float
    chp_eta_h: float
    boiler_cap: float
    boiler_eta: float
    hp_cap: float
    hp_cop: float
    ac_cap: float
    ac_cop: float
    ec_cap: float
    ec_cop: float
    bat_cap: float
    bat_power: float
    bat_rt: float
    ts_cap: float
    ts_power: float
    ts_loss: float
    imp_max: float
    exp_max: float
    hr_cop: float
    hr_capture: float
    price_offpeak: float
    price_shoulder: float
    price_peak: float
    export_ratio: float
    gas_price: float
    imbalance_premium: float
    heat_recovery: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name != "heat_recovery" and not (isinstance(v, int | float) and v >= 0):
                raise SpecError(f"Plant.{f.name} must be a finite number >= 0, got {v!r}")
        if self.chp_eta_e <= 0 or self.chp_eta_e + self.chp_eta_h > 1:
            raise SpecError(f"CHP efficiencies eta_e={self.chp_eta_e:g}, eta_h={self.chp_eta_h:g}: "
                            "need eta_e > 0 and eta_e + eta_h <= 1 (ies.chp.eta_e, ies.chp.eta_h)")
        if not 0 < self.boiler_eta <= 1:
            raise SpecError(f"boiler efficiency {self.boiler_eta:g} must be in (0, 1] "
                            "(ies.boiler.efficiency)")
        if self.hr_cop <= 1:
            raise SpecError(f"heat-recovery COP {self.hr_cop:g} must exceed 1 (ies.hr.cop)")
        if not 0 < self.bat_rt <= 1:
            raise SpecError(f"battery round-trip efficiency {self.bat_rt:g} must be in (0, 1] "
                            "(ies.battery.round_trip)")
        if self.hr_capture > 1 or self.export_ratio > 1 or self.ts_loss >= 1:
            raise SpecError("ies.hr.capture and ies.price.export_ratio must be <= 1 and "
                            "ies.ts.loss_per_hour < 1")

    @classmethod
    def from_params(cls, params: Registry | None = None, *, heat_recovery: bool = True) -> Plant:
        reg = params or default_registry()
        vals = dict(zip(_KEYS, reg.values(*_KEYS.values()), strict=True))
        return cls(**vals, heat_recovery=heat_recovery)

    @staticmethod
    def keys() -> tuple[str, ...]:
        """The registry keys a plant reads."""
        return tuple(_KEYS.values())

    def with_(self, **kw: float | bool) -> Plant:
        return replace(self, **kw)  # type: ignore[arg-type]
