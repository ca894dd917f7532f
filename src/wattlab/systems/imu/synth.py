"""Procedural human motion in random rooms, and the IMU signals it produces.

A room is a rectangle with a few pieces of furniture (chairs, a table, a shelf). A person walks
between them (turning on the spot first), sits on chairs and reaches to tables and shelves.
Three body-worn sensors follow the motion: an earbud (head), a watch (left wrist) and a phone
(right thigh pocket). Their positions come from the root (pelvis) trajectory and segment
offsets with gait oscillations; their orientations from the heading and segment pitch.

IMU signals, as the research notes prescribe: accelerometer = specific force in the sensor frame,
``R^T (d2p/dt2 + g e_z)`` with the positions double-differentiated numerically; gyroscope = body
angular velocity from consecutive orientations, ``log(R_t^T R_t+1) / dt``; white noise at the
datasheet's noise densities over the bandwidth ODR/2 and a constant per-sequence bias drawn with
the datasheet's offset as 2 sigma (dev.lsm6dso.*). Body and motion constants are registry
entries (imu.body.*, imu.motion.*); gait amplitudes and furniture sizes are modelling choices
(module constants below), stated as such.

The simulation runs at :data:`BASE_RATE`; lower sampling rates average blocks of samples (the
sensor's digital low-pass) and decimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from wattlab.errors import SpecError
from wattlab.params import Registry, default_registry

BASE_RATE = 100.0
SENSORS = ("head", "wrist", "thigh")
#: Which sensors a configuration of n IMUs uses (phone first, then watch, then earbud).
SENSOR_SETS = {1: ("thigh",), 2: ("wrist", "thigh"), 3: ("head", "wrist", "thigh")}
#: Layout grid: G x G cells of CELL m, centred on the start position, x along the start heading.
GRID = 12
CELL = 1.0
LAYOUT_CHANNELS = ("floor", "furniture")

# Modelling choices (shapes of the synthetic motion, not physical constants).
_ROOM_SIZE = (4.0, 8.0)         # m, range of room side lengths
_FURNITURE = {"chair": (0.5, 0.5), "table": (1.4, 0.8), "shelf": (1.0, 0.4)}
_BOB = 0.03                     # m, vertical pelvis oscillation while walking
_SWAY = 0.02                    # m, lateral pelvis oscillation
_ARM_SWING = 0.18               # m, wrist fore-aft swing amplitude
_LEG_SWING = 0.45               # rad, thigh pitch swing amplitude
_REACH = 0.45                   # m, wrist extension when reaching
_WALL_MARGIN = 0.5              # m, free margin along walls
_SIT_TIME = (1.5, 4.0)          # s
_REACH_TIME = (1.0, 2.5)        # s
_TRANSITION = 0.8               # s, sit-down / stand-up / reach-out duration


@dataclass(frozen=True)
class Room:
    """Room size (m) and furniture as (kind, cx, cy, w, d) in room coordinates."""

    width: float
    depth: float
    furniture: tuple[tuple[str, float, float, float, float], ...]


@dataclass
class Sequence:
    """One synthetic recording at ``rate`` Hz.

    ``acc``/``gyro``: (N, S, 3) specific force (m/s^2) and angular rate (rad/s) per sensor;
    ``orient``: (N, S, 3, 3) true sensor-to-start-frame rotations; ``root``: (N, 3) pelvis
    position in the start frame (start at the origin, x along the initial heading);
    ``layout``: (2, G, G) floor and furniture occupancy in the same frame; ``labels``: (N,)
    activity index into :data:`ACTIVITIES`.
    """

    acc: np.ndarray
    gyro: np.ndarray
    orient: np.ndarray
    root: np.ndarray
    layout: np.ndarray
    labels: np.ndarray
    rate: float
    sensors: tuple[str, ...]
    room: Room

    def subset(self, sensors: tuple[str, ...]) -> Sequence:
        idx = [self.sensors.index(s) for s in sensors]
        return Sequence(self.acc[:, idx], self.gyro[:, idx], self.orient[:, idx], self.root,
                        self.layout, self.labels, self.rate, sensors, self.room)


ACTIVITIES = ("stand", "walk", "turn", "sit", "reach")


@dataclass(frozen=True)
class Body:
    hip: float
    head: float
    sit: float
    speed: float
    cadence: float
    turn_rate: float
    g: float

    @classmethod
    def from_params(cls, params: Registry | None = None) -> Body:
        r = params or default_registry()
        return cls(*r.values("imu.body.hip_height", "imu.body.head_height", "imu.body.sit_height",
                             "imu.motion.walk_speed", "imu.motion.step_frequency",
                             "imu.motion.turn_rate", "phys.standard_gravity"))


@dataclass(frozen=True)
class NoiseModel:
    """White-noise densities (SI per root-Hz) and bias sigmas (SI) of the IMU."""

    acc_density: float
    gyro_density: float
    acc_bias: float
    gyro_bias: float

    @classmethod
    def from_params(cls, params: Registry | None = None, sensor: str = "lsm6dso") -> NoiseModel:
        r = params or default_registry()
        g = r.value("phys.standard_gravity")
        p = f"dev.{sensor}."
        a_nd, g_nd, a_off, g_off = r.values(p + "accel_noise_density_ug", p + "gyro_noise_density_mdps",
                                            p + "accel_offset_mg", p + "gyro_offset_dps")
        return cls(a_nd * 1e-6 * g, math.radians(g_nd * 1e-3), a_off * 1e-3 * g / 2,
                   math.radians(g_off) / 2)

    @classmethod
    def none(cls) -> NoiseModel:
        return cls(0.0, 0.0, 0.0, 0.0)


def random_room(rng: np.random.Generator) -> Room:
    w, d = rng.uniform(*_ROOM_SIZE, 2)
    kinds = ["chair", "chair", "table", "shelf"][: int(rng.integers(2, 5))]
    placed: list[tuple[str, float, float, float, float]] = []
    for kind in kinds:
        fw, fd = _FURNITURE[kind]
        for _ in range(50):
            cx = rng.uniform(_WALL_MARGIN + fw / 2, w - _WALL_MARGIN - fw / 2)
            cy = rng.uniform(_WALL_MARGIN + fd / 2, d - _WALL_MARGIN - fd / 2)
            if all(abs(cx - o[1]) > (fw + o[3]) / 2 + 0.6 or abs(cy - o[2]) > (fd + o[4]) / 2 + 0.6
                   for o in placed):
                placed.append((kind, cx, cy, fw, fd))
                break
    return Room(float(w), float(d), tuple(placed))


def _approach(room: Room, obj: tuple[str, float, float, float, float],
              rng: np.random.Generator) -> tuple[float, float, float]:
    """A standing point next to ``obj`` and the heading facing it."""
    _, cx, cy, fw, fd = obj
    side = int(rng.integers(4))
    off = 0.35
    pts = [(cx, cy - fd / 2 - off, math.pi / 2), (cx, cy + fd / 2 + off, -math.pi / 2),
           (cx - fw / 2 - off, cy, 0.0), (cx + fw / 2 + off, cy, math.pi)]
    x, y, h = pts[side]
    x = float(np.clip(x, 0.3, room.width - 0.3))
    y = float(np.clip(y, 0.3, room.depth - 0.3))
    return x, y, h


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


def _script(room: Room, body: Body, duration: float, rng: np.random.Generator,
            dt: float) -> dict[str, np.ndarray]:
    """Root x, y, z, heading, gait phase, thigh pitch, reach and activity label per base step."""
    n = round(duration / dt)
    x0 = rng.uniform(0.6, room.width - 0.6)
    y0 = rng.uniform(0.6, room.depth - 0.6)
    st: dict[str, list[float]] = {
        "x": [x0], "y": [y0], "z": [body.hip], "yaw": [rng.uniform(-math.pi, math.pi)],
        "phase": [0.0], "walk": [0.0], "pitch": [0.0], "reach": [0.0], "label": [0]}

    def push(x: float, y: float, z: float, yaw: float, walk: float, pitch: float, reach: float,
             label: int) -> None:
        w_amp = walk
        st["phase"].append(st["phase"][-1] + 2 * math.pi * body.cadence / 2 * dt * (w_amp > 0))
        for k, v in (("x", x), ("y", y), ("z", z), ("yaw", yaw), ("walk", walk),
                     ("pitch", pitch), ("reach", reach), ("label", label)):
            st[k].append(v)

    def cur() -> tuple[float, float, float, float]:
        return st["x"][-1], st["y"][-1], st["z"][-1], st["yaw"][-1]

    speed = body.speed * rng.uniform(0.8, 1.15)
    while len(st["x"]) < n:
        if not room.furniture:
            break
        obj = room.furniture[int(rng.integers(len(room.furniture)))]
        tx, ty, th = _approach(room, obj, rng)
        x, y, _z, yaw = cur()
        # turn towards the target, walk, turn to face the object
        for goal in (math.atan2(ty - y, tx - x), None, th):
            if goal is None:
                dist = math.hypot(tx - x, ty - y)
                k = max(1, int(dist / speed / dt))
                ramp = np.minimum(1.0, np.minimum(np.arange(1, k + 1), k - np.arange(k)) * dt / 0.4)
                prog = np.cumsum(ramp)
                prog = prog / prog[-1]
                for i in range(k):
                    push(x + (tx - x) * prog[i], y + (ty - y) * prog[i], body.hip, yaw,
                         float(ramp[i]), 0.0, 0.0, 1)
                x, y = tx, ty
                continue
            diff = _wrap(goal - yaw)
            k = max(1, int(abs(diff) / body.turn_rate / dt))
            s = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, k))
            for i in range(k):
                push(x, y, body.hip, yaw + diff * s[i], 0.0, 0.0, 0.0, 2)
            yaw = yaw + diff
        kt = int(_TRANSITION / dt)
        s = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, kt))
        if obj[0] == "chair":
            hold = int(rng.uniform(*_SIT_TIME) / dt)
            for prof in (s, np.ones(hold), s[::-1]):
                for v in prof:
                    push(x, y, body.hip + (body.sit - body.hip) * v, yaw, 0.0,
                         v * math.pi / 2, 0.0, 3)
        else:
            hold = int(rng.uniform(*_REACH_TIME) / dt)
            for prof in (s, np.ones(hold), s[::-1]):
                for v in prof:
                    push(x, y, body.hip, yaw, 0.0, 0.0, float(v), 4)
        for _ in range(int(rng.uniform(0.3, 1.2) / dt)):
            push(x, y, body.hip, yaw, 0.0, 0.0, 0.0, 0)
    return {k: np.asarray(v[:n], dtype=float) for k, v in st.items()}


def _rot_z(yaw: np.ndarray) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    z, o = np.zeros_like(yaw), np.ones_like(yaw)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1),
                     np.stack([z, z, o], -1)], -2)


def _rot_y(p: np.ndarray) -> np.ndarray:
    c, s = np.cos(p), np.sin(p)
    z, o = np.zeros_like(p), np.ones_like(p)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1),
                     np.stack([-s, z, c], -1)], -2)


def _layout(room: Room, x0: float, y0: float, yaw0: float) -> np.ndarray:
    """(2, G, G) occupancy of floor and furniture in the start frame (cell centres tested)."""
    c = (np.arange(GRID) - GRID / 2 + 0.5) * CELL
    gx, gy = np.meshgrid(c, c, indexing="ij")          # start-frame coordinates
    cs, sn = math.cos(yaw0), math.sin(yaw0)
    rx = x0 + cs * gx - sn * gy                         # room coordinates
    ry = y0 + sn * gx + cs * gy
    floor = (rx >= 0) & (rx <= room.width) & (ry >= 0) & (ry <= room.depth)
    furn = np.zeros_like(floor)
    for _, cx, cy, fw, fd in room.furniture:
        furn |= (np.abs(rx - cx) <= fw / 2 + CELL / 2) & (np.abs(ry - cy) <= fd / 2 + CELL / 2)
    return np.stack([floor, furn & floor]).astype(np.float32)


def synthesize(rng: np.random.Generator, duration: float = 20.0, rate: float = BASE_RATE,
               params: Registry | None = None, noise: NoiseModel | None = None,
               room: Room | None = None) -> Sequence:
    """One random room and ``duration`` s of motion in it, sensed by all three IMUs at ``rate``."""
    if not 0 < rate <= BASE_RATE or abs(BASE_RATE / rate - round(BASE_RATE / rate)) > 1e-9:
        raise SpecError(f"rate {rate:g} Hz: use {BASE_RATE:g} Hz divided by a whole number")
    if duration <= 1:
        raise SpecError(f"duration {duration:g} s must exceed 1 s")
    reg = params or default_registry()
    body = Body.from_params(reg)
    nm = NoiseModel.from_params(reg) if noise is None else noise
    room = room or random_room(rng)
    dt = 1 / BASE_RATE
    sc = _script(room, body, duration + 1.0, rng, dt)    # 1 s margin for differentiation
    yaw, n = sc["yaw"], sc["x"].size
    rz = _rot_z(yaw)
    fwd, left = rz[:, :, 0], rz[:, :, 1]
    ph = sc["phase"]
    walk = sc["walk"]
    root = np.column_stack([sc["x"], sc["y"], sc["z"]])
    root = root + left * (_SWAY * walk * np.sin(ph))[:, None]
    root[:, 2] += _BOB * walk * np.cos(2 * ph)
    up = np.array([0.0, 0.0, 1.0])
    seated = (body.hip - sc["z"]) / max(body.hip - body.sit, 1e-9)
    def col(v: np.ndarray | float) -> np.ndarray:
        return np.broadcast_to(np.asarray(v, dtype=float), (n,))[:, None]

    u = up[None, :]
    pos = {
        "head": root + u * (body.head - body.hip) + fwd * col(0.05 + 0.1 * seated),
        "wrist": root + left * 0.22 - u * col(0.1 * (1 - sc["reach"]))
        + fwd * col(_ARM_SWING * walk * np.sin(ph) + _REACH * sc["reach"] + 0.1 * seated)
        + u * col(0.25 * sc["reach"]),
        "thigh": root - left * 0.12 - u * col(0.2 * (1 - seated))
        + fwd * col(0.2 * seated + 0.12 * walk * np.sin(ph + math.pi)),
    }
    pitch = {
        "head": 0.1 * walk * np.sin(2 * ph) - 0.15 * sc["reach"],
        "wrist": 0.5 * walk * np.sin(ph) - 1.2 * sc["reach"],
        "thigh": -(sc["pitch"] + _LEG_SWING * walk * np.sin(ph + math.pi)),
    }
    acc, gyr, ori = [], [], []
    g_vec = up * body.g
    for s in SENSORS:
        R = rz @ _rot_y(pitch[s])
        a_world = np.gradient(np.gradient(pos[s], dt, axis=0), dt, axis=0) + g_vec
        acc.append(np.einsum("nji,nj->ni", R, a_world))
        rel = Rotation.from_matrix(np.einsum("nji,njk->nik", R[:-1], R[1:]))
        w = rel.as_rotvec() / dt
        gyr.append(np.vstack([w, w[-1:]]))
        ori.append(R)
    acc_a, gyr_a, ori_a = np.stack(acc, 1), np.stack(gyr, 1), np.stack(ori, 1)
    # express everything in the start frame (origin at the start root, x along start heading)
    r0 = rz[0].T
    root_s = (root - root[0]) @ r0.T
    ori_s = np.einsum("ij,nsjk->nsik", r0, ori_a)
    layout = _layout(room, sc["x"][0], sc["y"][0], float(yaw[0]))
    # trim the margin, then average blocks and decimate to the requested rate
    keep = round(duration * BASE_RATE)
    m = round(BASE_RATE / rate)
    k = keep // m * m
    acc_d = acc_a[:k].reshape(-1, m, len(SENSORS), 3).mean(1)
    gyr_d = gyr_a[:k].reshape(-1, m, len(SENSORS), 3).mean(1)
    nd = acc_d.shape[0]
    bw = rate / 2
    acc_d = acc_d + rng.normal(0, nm.acc_density * math.sqrt(bw), acc_d.shape) \
        + rng.normal(0, nm.acc_bias, (1, len(SENSORS), 3))
    gyr_d = gyr_d + rng.normal(0, nm.gyro_density * math.sqrt(bw), gyr_d.shape) \
        + rng.normal(0, nm.gyro_bias, (1, len(SENSORS), 3))
    idx = np.arange(nd) * m
    return Sequence(acc=acc_d, gyro=gyr_d, orient=ori_s[idx], root=root_s[idx], layout=layout,
                    labels=sc["label"][idx].astype(int), rate=rate, sensors=SENSORS, room=room)


def dataset(n: int, rng: np.random.Generator, duration: float = 20.0, rate: float = BASE_RATE,
            params: Registry | None = None) -> list[Sequence]:
    return [synthesize(rng, duration, rate, params) for _ in range(n)]
