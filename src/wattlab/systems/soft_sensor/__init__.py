"""Auto-built FPGA soft sensors for wastewater flow (arXiv 2407.05102, reconstructed): a
synthetic flume and river's WaterFlow series, a search over small integer MLPs/LSTMs scored on
accuracy vs energy/latency on catalogue FPGAs, export to bit-exact VHDL, and the node lifetime
with and without Idle-Waiting."""

from wattlab.systems.soft_sensor.autobuild import (
    Built,
    Candidate,
    SearchResult,
    SearchSpace,
    export_and_check,
    pareto_mask,
    search,
)
from wattlab.systems.soft_sensor.data import Task, flume_task, waterflow_task
from wattlab.systems.soft_sensor.flume import Flume

__all__ = ["Built", "Candidate", "Flume", "SearchResult", "SearchSpace", "Task",
           "export_and_check", "flume_task", "pareto_mask", "search", "waterflow_task"]
