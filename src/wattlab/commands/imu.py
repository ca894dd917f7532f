"""``wattlab imu``: IMU-only human sensing — trajectory/layout accuracy and the energy of IMU vs
camera context sensing on a catalogue device."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from wattlab.commands._options import BoundedInt, Seed, count, finite, out_file
from wattlab.commands._output import literal_console

app = typer.Typer(help="IMU-only human sensing: accuracy, and energy against a camera.",
                  no_args_is_help=True)
console = literal_console()

ParamsOpt = Annotated[list[Path] | None, typer.Option(
    "--params", help="A TOML parameter file layered over the defaults (repeatable).")]


def _check_imus(n: int) -> None:
    from wattlab.errors import SpecError
    from wattlab.systems.imu import SENSOR_SETS

    if n not in SENSOR_SETS:
        raise SpecError(f"--imus {n}: choose 1, 2 or 3 (sensors: {SENSOR_SETS})")


def _plot_eval(path: Path, ev: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(ev.trajectories)
    fig, axes = plt.subplots(1, k, figsize=(3.2 * k, 3.2), squeeze=False)
    for ax, (pred, true) in zip(axes[0], ev.trajectories, strict=True):
        ax.plot(true[:, 0], true[:, 1], "k-", label="true root")
        ax.plot(pred[:, 0], pred[:, 1], "r--", label="predicted")
        ax.plot(0, 0, "ko", ms=4)
        ax.set_aspect("equal")
        ax.set_xlabel("x (m)")
    axes[0][0].set_ylabel("y (m)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"root-ATE {ev.ate_m:.2f} m (standing-still baseline {ev.baseline_ate_m:.2f} m)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


@app.command()
def evaluate(
    imus: Annotated[int, count(1, 3, "Number of IMUs: 1 (thigh), 2 (+wrist), 3 (+head).")] = 3,
    rate: Annotated[float, finite(0.01, 100.0, "Sampling rate (Hz): 100 divided by a whole "
                                  "number, 0.01..100.")] = 100.0,
    train_seqs: Annotated[int, typer.Option("--train", click_type=BoundedInt(2, 100_000),
                                            help="Synthetic training rooms.")] = 120,
    test_seqs: Annotated[int, typer.Option("--test", click_type=BoundedInt(1, 100_000),
                                           help="Synthetic test rooms.")] = 40,
    duration: Annotated[float, finite(2.0, 3600.0, "Seconds of motion per room.")] = 12.0,
    epochs: Annotated[int, count(1, 100_000, "Training epochs.")] = 40,
    sweep: Annotated[bool, typer.Option(
        "--sweep", help="Accuracy and energy for 1-3 IMUs x 100/50/25 Hz instead.")] = False,
    device: Annotated[str, typer.Option(
        help="Catalogue device for the --sweep energy.")] = "jetson_orin_nano",
    recording: Annotated[Path | None, typer.Option(
        help="Also run the trained model on your recording (CSV/NPZ, see docs): its "
             "trajectory, and its root-ATE when it has root_x/root_y.")] = None,
    basic_motions: Annotated[bool, typer.Option(
        "--basic-motions", help="Also report activity accuracy on BasicMotions (offline).")] = False,
    seed: Seed = 0,
    plot: Annotated[Path | None, out_file("Write trajectory plots to this PNG.", (".png",))] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    params: ParamsOpt = None,
) -> None:
    """Train the trajectory + layout transformer on synthetic rooms; root-ATE and layout IoU.

    Example: wattlab imu evaluate --imus 2 --rate 50 --plot traj.png
    """
    import numpy as np

    from wattlab.errors import SpecError
    from wattlab.params import load_registry
    from wattlab.systems.imu.experiment import basic_motions_accuracy, run, tradeoff
    from wattlab.systems.imu.model import ModelSpec

    _check_imus(imus)
    if train_seqs < 2 or test_seqs < 1 or epochs < 1 or duration < 2:
        raise SpecError("--train must be >= 2, --test >= 1, --epochs >= 1, --duration >= 2 s")
    reg = load_registry(params or [])
    rng = np.random.default_rng(seed)
    spec = ModelSpec(epochs=epochs, seed=seed)
    out: dict[str, Any] = {}
    if sweep:
        rows = tradeoff(rng, device, n_train=train_seqs, n_test=test_seqs, duration=duration,
                        spec=spec, params=reg)
        out["sweep"] = rows
    else:
        res = run(imus, rate, rng, n_train=train_seqs, n_test=test_seqs, duration=duration,
                  spec=spec, params=reg)
        ev = res.evaluation
        out.update({"imus": imus, "rate_hz": rate, "root_ate_m": ev.ate_m,
                    "standing_still_ate_m": ev.baseline_ate_m, "layout_iou": ev.iou,
                    "prior_layout_iou": ev.baseline_iou, "params": res.model.n_params,
                    "macs_per_inference": res.macs, "train_s": res.model.train_s})
        if plot:
            _plot_eval(plot, ev)
        if recording:
            out["recording"] = _on_recording(recording, res.model, reg)
    if basic_motions:
        bm = basic_motions_accuracy(ModelSpec(epochs=60, batch=8, seed=seed))
        from wattlab.systems.imu import BASIC_MOTIONS_NEEDS

        out["basic_motions"] = bm or {"skipped": f"no package ships BasicMotions: {BASIC_MOTIONS_NEEDS}"}
    if json_out:
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    if sweep:
        t = Table(*out["sweep"][0].keys(), title=f"accuracy vs energy ({device})")
        for r in out["sweep"]:
            t.add_row(*[str(v) for v in r.values()])
        console.print(t)
    else:
        t = Table("metric", "value", title=f"{imus} IMU(s) at {rate:g} Hz, {test_seqs} test rooms")
        for k in ("root_ate_m", "standing_still_ate_m", "params", "macs_per_inference"):
            v = out[k]
            t.add_row(k, f"{v:.3f}" if isinstance(v, float) else str(v))
        for c, v in out["layout_iou"].items():
            t.add_row(f"layout IoU ({c})", f"{v:.3f} (prior {out['prior_layout_iou'][c]:.3f})")
        if "recording" in out:
            for k, v in out["recording"].items():
                t.add_row(f"recording: {k}", str(v))
        console.print(t)
    if "basic_motions" in out:
        console.print(f"BasicMotions: {out['basic_motions']}")
    if plot and not sweep:
        console.print(f"plot written to {plot}")


def _on_recording(path: Path, model: Any, reg: Any) -> dict[str, Any]:
    import numpy as np

    from wattlab.errors import SpecError
    from wattlab.systems.imu import load_recording
    from wattlab.systems.imu.model import ate, initial_orientation, tokens

    rec = load_recording(path, n_imus=len(model.sensors))
    if abs(rec.rate - model.rate) > 0.01 * model.rate:
        raise SpecError(f"recording '{path}' is sampled at {rec.rate:.2f} Hz but the model was "
                        f"trained at {model.rate:g} Hz: pass --rate {rec.rate:.0f} (100 Hz "
                        "divided by a whole number) or resample the recording")
    g = reg.value("phys.standard_gravity")
    r0 = initial_orientation(rec.acc, rec.rate)
    feats = tokens(rec.acc, rec.gyro, model.rate, r0, g, model.spec.patch_s)
    traj, _ = model.predict(feats[: model.net.pos.shape[1]])
    res: dict[str, Any] = {"samples": int(rec.acc.shape[0]), "rate_hz": round(rec.rate, 3),
                           "path_length_m": round(float(np.sum(np.linalg.norm(
                               np.diff(traj, axis=0), axis=1))), 3)}
    if rec.root is not None:
        m = max(1, round(model.spec.patch_s * model.rate))
        true = rec.root[m - 1:: m][: traj.shape[0]] - rec.root[0]
        res["root_ate_m"] = round(ate(traj[: true.shape[0]], true), 3)
    return res


@app.command()
def energy(
    device: Annotated[str, typer.Option(help="Catalogue device running both models.")] = "jetson_orin_nano",
    imus: Annotated[int, count(1, 3, "Number of IMUs (1-3).")] = 3,
    rate: Annotated[float, finite(0.0, 10_000.0, "IMU sampling rate (Hz).", open_lo=True)] = 100.0,
    camera: Annotated[str, typer.Option(
        help="Camera entry: camera_system (sensor+ISP) or imx219 (bare sensor).")] = "camera_system",
    window: Annotated[float, finite(1.0, 600.0, "Seconds of IMU data per inference.")] = 12.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    params: ParamsOpt = None,
) -> None:
    """Energy per hour of context awareness: IMUs + BLE + inference vs camera + inference.

    Example: wattlab imu energy --device jetson_orin_nano --imus 2 --rate 50
    """
    from wattlab.errors import SpecError
    from wattlab.params import load_registry
    from wattlab.systems.imu.energy import BOUNDARY, camera_pipeline, imu_pipeline, ratio
    from wattlab.systems.imu.model import model_cost

    _check_imus(imus)
    if not 0 < rate <= 10_000:
        raise SpecError(f"--rate {rate:g} Hz must be in (0, 10000]")
    reg = load_registry(params or [])
    if f"dev.{camera}.power_active" not in reg:
        raise SpecError(f"--camera '{camera}' has no registry entry dev.{camera}.power_active; "
                        "use camera_system or imx219, or add one in a --params file")
    macs, n_par = model_cost(imus, window)
    imu = imu_pipeline(device, imus, rate, macs, n_par, reg)
    cam = camera_pipeline(device, reg, camera=camera)
    res = {"device": device, "boundary": BOUNDARY,
           "imu": {"J_per_hour": imu.per_hour, "total_J": imu.total_j,
                   "idle_floor_J": imu.idle_floor_j},
           "camera": {"J_per_hour": cam.per_hour, "total_J": cam.total_j,
                      "idle_floor_J": cam.idle_floor_j},
           "camera_over_imu": ratio(cam, imu),
           "camera_over_imu_with_idle": ratio(cam, imu, with_idle=True),
           "sources": sorted({k for c in (imu.cost, cam.cost) for k in c.sources})}
    if json_out:
        typer.echo(json.dumps(res, indent=2))
        return
    t = Table("pipeline", "line", "J per hour", "mean mW", title=f"Context sensing on {device}")
    for pl in (imu, cam):
        for k, v in pl.per_hour.items():
            t.add_row(pl.name, k, f"{v:.3f}", f"{v / 3.6:.3f}")
        t.add_row(pl.name, Text("total", style="bold"), f"{pl.total_j:.2f}",
                  f"{pl.mean_power_w * 1e3:.2f}")
        t.add_row(pl.name, "(outside: device idle floor)", f"{pl.idle_floor_j:.0f}", "")
    console.print(t)
    console.print(f"camera / IMU: {res['camera_over_imu']:.1f}x "
                  f"(with the idle floor: {res['camera_over_imu_with_idle']:.2f}x)")
    console.print(f"boundary: {BOUNDARY}")
