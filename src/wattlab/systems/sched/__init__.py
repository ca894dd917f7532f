"""A discrete-event simulator of multi-GPU clusters and energy-aware co-scheduling policies.

Reconstructs EcoSched ("Towards Energy Efficient Co-Scheduling in HPC", arXiv 2604.17640) as
stated assumptions (see :mod:`wattlab.systems.sched.policies`), next to FCFS and EASY baselines.

Example::

    import numpy as np
    from wattlab.systems.sched import Cluster, EcoSched, FCFSRequested, simulate, synthetic
    rng = np.random.default_rng(0)
    jobs = synthetic(200, Cluster.build(2, "h100"), rng)
    res = simulate(jobs, Cluster.build(2, "h100"), EcoSched.from_params(), rng=rng)
    print(res.summary())
"""

from wattlab.systems.sched.engine import Scheduler, SimResult, SimView, Unrunnable, simulate
from wattlab.systems.sched.model import LINEAR, Cluster, Interference, Job, NodeSpec, Scaling
from wattlab.systems.sched.policies import EASYBackfill, EcoSched, FCFSExclusive, FCFSRequested
from wattlab.systems.sched.traces import (
    LAYOUTS,
    SAMPLE,
    Trace,
    attach_profiles,
    profile_library,
    read_trace,
    synthetic,
    write_trace,
)

__all__ = [
    "LAYOUTS",
    "LINEAR",
    "SAMPLE",
    "Cluster",
    "EASYBackfill",
    "EcoSched",
    "FCFSExclusive",
    "FCFSRequested",
    "Interference",
    "Job",
    "NodeSpec",
    "Scaling",
    "Scheduler",
    "SimResult",
    "SimView",
    "Trace",
    "Unrunnable",
    "attach_profiles",
    "profile_library",
    "read_trace",
    "simulate",
    "synthetic",
    "write_trace",
]
