"""Energy per hour of context awareness: body-worn IMUs against an always-on camera, each with
its model running on a named catalogue device.

Boundary (both pipelines): the sensors' supply power, the wearables' BLE radio that streams IMU
samples to the device (IMU pipeline only; a camera is wired to its SoC), and the device energy of
each inference pass by the catalogue's roofline model (compute + DRAM + the device's idle power
during the pass). The device's idle floor between passes is the same for both pipelines when
they share a device; it is reported as a separate line and excluded from the headline ratio.
Excluded: the camera's ISP/encoder beyond ``dev.camera_system.power_active``, the wearables'
microcontrollers, displays, the phone/host OS, and training.

IMU power as a function of output data rate is an assumption: linear from
``dev.<imu>.power_floor`` at 0 Hz to ``dev.<imu>.power_hp`` at ``dev.<imu>.odr_hp`` and flat above.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattlab.cost import Cost
from wattlab.hardware import BYTES_PER_ELEMENT, Device, spec
from wattlab.params import Registry, default_registry

HOUR = 3600.0
BOUNDARY = ("sensor supply power, wearable BLE streaming (IMU), device energy of each inference "
            "pass (roofline compute + DRAM + idle power during the pass); the device's idle floor "
            "between passes is reported separately and excluded from the ratio; ISP/encoder "
            "beyond the camera-system figure, wearable MCUs, host OS and training excluded")


@dataclass(frozen=True)
class PipelineEnergy:
    name: str
    per_hour: dict[str, float]       # J per hour by line, inside the boundary
    idle_floor_j: float              # J per hour the device idles between passes (outside)
    pass_j: float                    # J per inference pass
    pass_s: float
    cost: Cost

    @property
    def total_j(self) -> float:
        return float(sum(self.per_hour.values()))

    @property
    def mean_power_w(self) -> float:
        return self.total_j / HOUR


def imu_power(params: Registry, rate: float, sensor: str = "lsm6dso") -> float:
    """Supply power (W) of one 6-axis IMU at output data rate ``rate`` (see module docstring)."""
    s = spec(params, sensor)
    hp, floor, odr = s.value("power_hp"), s.value("power_floor"), s.value("odr_hp")
    return floor + (hp - floor) * min(1.0, rate / odr)


def _inference(dev: Device, macs: float, n_params: float, input_bytes: float,
               precision: str, params: Registry) -> Cost:
    nbytes = n_params * BYTES_PER_ELEMENT[precision] + input_bytes
    return dev.roofline(2.0 * macs, nbytes, precision, params=params,
                        counts={"MACs": macs, "weights": n_params})


def _per_hour(name: str, sensing: dict[str, float], inf: Cost, rate: float, dev: Device,
              sources: dict) -> PipelineEnergy:
    passes = rate * HOUR
    lines = {k: v * HOUR for k, v in sensing.items()}
    for k, v in inf.energy_j.items():
        lines[f"inference {k}"] = v * passes
    busy = min(HOUR, inf.latency_s * passes)
    idle = dev.idle_power * (HOUR - busy)
    cost = Cost(energy_j=lines, latency_s=HOUR, counts={"inference passes": passes},
                sources={**inf.sources, **sources})
    return PipelineEnergy(name, lines, idle, sum(inf.energy_j.values()), inf.latency_s, cost)


def imu_pipeline(device: str, n_imus: int, rate: float, macs: float, n_params: float,
                 params: Registry | None = None, precision: str | None = None,
                 sensor: str = "lsm6dso") -> PipelineEnergy:
    """IMU context sensing: ``n_imus`` IMUs at ``rate`` Hz streaming over BLE to ``device``,
    which runs a model of ``macs`` MACs and ``n_params`` weights per inference."""
    reg = params or default_registry()
    dev = Device.from_registry(device, reg)
    prec = precision or dev.default_precision
    bits, eff, inf_rate = reg.values("imu.pipeline.sample_bits", "imu.pipeline.ble_efficiency",
                                     "imu.pipeline.inference_rate")
    radio = spec(reg, "nrf52840")
    tx, ble = radio.value("tx_power_supply"), radio.value("ble_rate")
    bps = n_imus * 6 * bits * rate
    sensing = {"IMU sensors": n_imus * imu_power(reg, rate, sensor),
               "BLE radio": bps / (ble * eff) * tx}
    inf = _inference(dev, macs, n_params, 0.0, prec, reg)
    src = reg.subset(f"dev.{sensor}.power_hp", f"dev.{sensor}.power_floor", f"dev.{sensor}.odr_hp",
                     "imu.pipeline.sample_bits", "imu.pipeline.ble_efficiency",
                     "imu.pipeline.inference_rate", "dev.nrf52840.tx_power_supply",
                     "dev.nrf52840.ble_rate")
    return _per_hour(f"{n_imus} IMU @ {rate:g} Hz", sensing, inf, inf_rate, dev, src)


def camera_pipeline(device: str, params: Registry | None = None, precision: str | None = None,
                    camera: str = "camera_system", image_bytes: float = 224 * 224 * 3
                    ) -> PipelineEnergy:
    """Camera context sensing: an always-on camera and MobileNetV2-class inference on ``device``."""
    reg = params or default_registry()
    dev = Device.from_registry(device, reg)
    prec = precision or dev.default_precision
    macs, n_params, inf_rate = reg.values("imu.camera_model.macs", "imu.camera_model.params",
                                          "imu.pipeline.inference_rate")
    sensing = {"camera": spec(reg, camera).value("power_active")}
    inf = _inference(dev, macs, n_params, image_bytes, prec, reg)
    src = reg.subset(f"dev.{camera}.power_active", "imu.camera_model.macs",
                     "imu.camera_model.params", "imu.pipeline.inference_rate")
    return _per_hour(f"camera ({camera})", sensing, inf, inf_rate, dev, src)


def ratio(camera: PipelineEnergy, imu: PipelineEnergy, with_idle: bool = False) -> float:
    """Camera energy per hour over IMU energy per hour (optionally with the idle floor)."""
    c = camera.total_j + (camera.idle_floor_j if with_idle else 0.0)
    i = imu.total_j + (imu.idle_floor_j if with_idle else 0.0)
    return c / i
