"""FPGA configuration time and energy from the bitstream and the master-SPI settings.

Model (a stated assumption, after UG470's master-SPI configuration):

    t_cfg = t_overhead + c·B / (w·f_CCLK)
    E_cfg = P_static·t_cfg + e_bit·c·B

with B the full bitstream length, c the compression ratio (compressed/full), w the SPI bus width
and f_CCLK the configuration clock. ``P_static`` is the rate-independent power of the FPGA domain
while configuring and ``e_bit`` the energy per transferred bit, so the configuration power rises
with the transfer rate (P = P_static + e_bit·w·f). Both power figures are assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattlab.cost import Cost
from wattlab.errors import SpecError
from wattlab.errors import positive as _positive
from wattlab.params import Registry

_P = "idle_waiting."
VALID_BUS_WIDTHS = (1, 2, 4)



@dataclass(frozen=True)
class ConfigSettings:
    """The configuration knobs: SPI bus width (1, 2, 4), CCLK (Hz), compression ratio in (0, 1]."""

    bus_width: int
    cclk_hz: float
    compression: float = 1.0

    def __post_init__(self) -> None:
        if self.bus_width not in VALID_BUS_WIDTHS:
            raise SpecError(f"'bus_width' is {self.bus_width!r}; 7-series master SPI supports "
                            f"{VALID_BUS_WIDTHS}")
        _positive("cclk_hz", self.cclk_hz)
        if not 0 < self.compression <= 1:
            raise SpecError(f"'compression' is {self.compression!r}; it is the compressed/full "
                            "bitstream ratio and must lie in (0, 1]")

    @classmethod
    def default(cls, params: Registry) -> ConfigSettings:
        """Vendor defaults: x1 SPI at the default CONFIGRATE, no compression."""
        w, f = params.values(_P + "spi_width_default", _P + "cclk_default")
        return cls(int(w), f, 1.0)

    @classmethod
    def optimised(cls, params: Registry) -> ConfigSettings:
        """All optimisations on: widest bus, fastest internal CCLK, compression."""
        w, f, c = params.values(_P + "spi_width_max", _P + "cclk_max", _P + "compression_ratio")
        return cls(int(w), f, c)


@dataclass(frozen=True)
class ConfigModel:
    """Configuration time/energy of one device; see the module docstring for the model."""

    bitstream_bits: float
    overhead_s: float
    static_power_w: float
    energy_per_bit_j: float

    def __post_init__(self) -> None:
        _positive("bitstream_bits", self.bitstream_bits)
        _positive("overhead_s", self.overhead_s, allow_zero=True)
        _positive("static_power_w", self.static_power_w, allow_zero=True)
        _positive("energy_per_bit_j", self.energy_per_bit_j, allow_zero=True)

    @classmethod
    def from_params(cls, params: Registry) -> ConfigModel:
        return cls(*params.values(_P + "bitstream_bits", _P + "cfg_overhead_time",
                                  _P + "cfg_static_power", _P + "cfg_energy_per_bit"))

    KEYS = tuple(_P + k for k in ("bitstream_bits", "cfg_overhead_time", "cfg_static_power",
                                  "cfg_energy_per_bit"))

    def bits(self, s: ConfigSettings) -> float:
        """Bits actually transferred."""
        return s.compression * self.bitstream_bits

    def time_s(self, s: ConfigSettings) -> float:
        return self.overhead_s + self.bits(s) / (s.bus_width * s.cclk_hz)

    def energy_j(self, s: ConfigSettings) -> float:
        return self.static_power_w * self.time_s(s) + self.energy_per_bit_j * self.bits(s)

    def cost(self, s: ConfigSettings, params: Registry | None = None) -> Cost:
        """One configuration as a Cost (components: static and transfer energy)."""
        sources = params.subset(*self.KEYS) if params is not None else {}
        return Cost(energy_j={"cfg_static": self.static_power_w * self.time_s(s),
                              "cfg_transfer": self.energy_per_bit_j * self.bits(s)},
                    latency_s=self.time_s(s), counts={"bits": self.bits(s)}, sources=sources)

    def reduction(self, base: ConfigSettings, tuned: ConfigSettings) -> float:
        """How many times less energy ``tuned`` needs than ``base``."""
        return self.energy_j(base) / self.energy_j(tuned)
