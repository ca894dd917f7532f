"""IMU-only human sensing (arXiv 2604.21926, minimal version): procedural motion and IMU
synthesis, user recordings and BasicMotions loaders, a small trajectory + layout transformer,
and the IMU-vs-camera context-sensing energy model."""

from wattlab.systems.imu.data import (
    BASIC_MOTIONS_NEEDS,
    BasicMotions,
    Recording,
    basic_motions,
    check_recording,
    load_recording,
    save_recording,
)
from wattlab.systems.imu.synth import (
    ACTIVITIES,
    BASE_RATE,
    GRID,
    LAYOUT_CHANNELS,
    SENSOR_SETS,
    SENSORS,
    NoiseModel,
    Room,
    Sequence,
    dataset,
    random_room,
    synthesize,
)

__all__ = ["ACTIVITIES", "BASE_RATE", "BASIC_MOTIONS_NEEDS", "GRID", "LAYOUT_CHANNELS",
           "SENSORS", "SENSOR_SETS", "BasicMotions", "NoiseModel", "Recording", "Room",
           "Sequence", "basic_motions", "check_recording", "dataset", "load_recording",
           "random_room", "save_recording", "synthesize"]
