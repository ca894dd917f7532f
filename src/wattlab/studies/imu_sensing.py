"""Study of "Seeing Without Eyes: 4D Human-Scene Understanding from Wearable IMUs" (Hsu, Cheng,
Wen, Schwing, Wang; arXiv 2604.21926): the energy case for IMU-only context sensing.

The paper motivates IMUs as ultra-low-power and privacy-preserving against cameras (the project's
notes: about 1 mW against hundreds of mW). This study prices both pipelines per hour of context
awareness on a catalogue device, with sourced sensor figures (``dev.lsm6dso.*``,
``dev.camera_system.*``, ``dev.imx219.*``, ``dev.nrf52840.*``) and the inference cost of each
model by the catalogue's roofline. The IMU model's operation count is that of wattlab's small
trajectory + layout transformer, not the paper's LLM-based model (a stated substitution: the
paper's model would cost more per inference, see the notes).
"""

from __future__ import annotations

from typing import Any

from wattlab.errors import SpecError
from wattlab.hardware import known_devices
from wattlab.study import Claim, Outcome, RunContext, Study
from wattlab.systems.imu.energy import BOUNDARY, camera_pipeline, imu_pipeline, imu_power, ratio
from wattlab.systems.imu.model import model_cost

PAPER = "Seeing Without Eyes: 4D Human-Scene Understanding from Wearable IMUs"
ARXIV = "2604.21926"
DEVICE = "jetson_orin_nano"
N_IMUS = 3
RATE = 100.0
WINDOW_S = 12.0


def _model_cost(n_imus: int) -> tuple[int, int]:
    return model_cost(n_imus, WINDOW_S)


def _ratio_value(ctx: RunContext) -> float:
    macs, n_par = _model_cost(N_IMUS)
    return ratio(camera_pipeline(DEVICE, ctx.params),
                 imu_pipeline(DEVICE, N_IMUS, RATE, macs, n_par, ctx.params))


def _ratio(ctx: RunContext) -> Outcome:
    p = ctx.params
    macs, n_par = _model_cost(N_IMUS)
    imu = imu_pipeline(DEVICE, N_IMUS, RATE, macs, n_par, p)
    cam = camera_pipeline(DEVICE, p)
    value = ratio(cam, imu)
    lines: list[dict[str, Any]] = [
        {"pipeline": pl.name, "line": k, "J_per_hour": round(v, 3),
         "mean_mW": round(v / 3.6, 3)}
        for pl in (imu, cam) for k, v in pl.per_hour.items()]
    sensors_only = p.value("dev.camera_system.power_active") / (N_IMUS * imu_power(p, RATE))
    imx_only = p.value("dev.imx219.power_active") / (N_IMUS * imu_power(p, RATE))
    boundaries = [
        {"boundary": "sensors only (camera system vs 3 IMUs)", "camera_over_imu": round(sensors_only, 1)},
        {"boundary": "sensors only (bare IMX219 sensor vs 3 IMUs)", "camera_over_imu": round(imx_only, 1)},
        {"boundary": "sensors + BLE + inference passes (headline)", "camera_over_imu": round(value, 1)},
        {"boundary": "... + device idle floor between passes", "camera_over_imu":
         round(ratio(cam, imu, with_idle=True), 3)},
    ]
    devices = []
    for name in known_devices(p):
        try:
            i, c = imu_pipeline(name, N_IMUS, RATE, macs, n_par, p), camera_pipeline(name, p)
        except SpecError:
            continue
        devices.append({"device": name, "imu_J_per_h": round(i.total_j, 2),
                        "camera_J_per_h": round(c.total_j, 2),
                        "camera_inference_J_per_h": round(c.total_j - c.per_hour["camera"], 2),
                        "camera_over_imu": round(ratio(c, i), 1)})
    sweep = []
    for n in (1, 2, 3):
        mc, npar = _model_cost(n)
        for r in (100.0, 50.0, 25.0, 12.5):
            e = imu_pipeline(DEVICE, n, r, mc, npar, p)
            sweep.append({"imus": n, "rate_hz": r, "imu_J_per_h": round(e.total_j, 2),
                          "camera_over_imu": round(ratio(cam, e), 1)})
    out = Outcome(value=value, tables={"energy per hour": lines, "by boundary": boundaries,
                                       "by device": devices, "IMUs x sampling rate": sweep},
                  costs={"IMU pipeline (1 h)": imu.cost, "camera pipeline (1 h)": cam.cost})
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 3.8))
    ax = fig.add_subplot()
    for n in (1, 2, 3):
        pts = [(r["rate_hz"], r["imu_J_per_h"]) for r in sweep if r["imus"] == n]
        ax.semilogy(*zip(*pts, strict=True), "o-", label=f"{n} IMU(s) + BLE + inference")
    ax.axhline(cam.total_j, color="k", ls="--", label="camera system + inference")
    ax.set_xlabel("IMU sampling rate (Hz)")
    ax.set_ylabel(f"J per hour on {DEVICE}")
    ax.legend(fontsize=7)
    out.figure("energy_per_hour", fig)
    out.notes += [
        f"{N_IMUS} LSM6DSO IMUs at {RATE:g} Hz streaming over BLE (nRF52840) vs an always-on "
        f"camera system; both models run once per second on {DEVICE} (roofline, default "
        f"precision). IMU model: wattlab's transformer over a {WINDOW_S:g} s window ({macs / 1e6:.2f} "
        f"M MACs, {n_par / 1e3:.1f} k weights); camera model: MobileNetV2 (300 M MACs, 3.4 M "
        "weights).",
        f"Boundary: {BOUNDARY}.",
        f"Sensors alone give {sensors_only:.0f}x (camera system) or {imx_only:.0f}x (bare IMX219 "
        f"sensor); with the wearables' BLE streaming and both inference passes the ratio is "
        f"{value:.0f}x: the radio, not the IMUs, is the IMU pipeline's largest line. With the "
        "device's idle floor between passes included, both pipelines are dominated by it and "
        "the ratio falls to about 1x: the saving is real only where the host sleeps or is "
        "shared (a phone that is on anyway).",
        "The paper's own model (an LLM backbone) would add orders of magnitude of MACs per "
        "inference to the IMU side; this study prices wattlab's small model.",
    ]
    return out


STUDIES = [
    Study(id="imu-sensing.camera-ratio", paper=PAPER, arxiv=ARXIV,
          claim=Claim("A few wearable IMUs sense context at a small fraction of a camera's "
                      "power (about 1 mW against hundreds of mW)",
                      "camera / IMU energy per hour of context awareness", "x", 100.0, 0.1,
                      "at_least", 1.0),
          run=_ratio, evidence="modelled", boundary=BOUNDARY, modelled=_ratio_value,
          inputs_from_paper=("the ~1 mW vs hundreds of mW motivation (compared against)",)),
]
