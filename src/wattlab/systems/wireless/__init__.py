"""Learning-based 6G resource management: aerial RIS + fluid antennas, cell-free
delay-deterministic scheduling (reconstructed), and WirelessAgent OFDMA allocation.

Public API::

    RisConfig, RisModel, Drop, draw_channels           aerial multi-functional RIS (NumPy, batched)
    random_search, alternating_optimisation            its non-learning baselines
    ris_env.make_env / make_vec_env / train_hybrid     gymnasium env, SB3 VecEnv, DQN + PPO agent
    cellfree.*                                         cell-free massive MIMO with delay targets
    agent.*                                            WirelessAgent: CSI prediction, SE/EE allocation,
                                                       intent parsing

``gymnasium``/``stable-baselines3`` (extra ``rl``) and ``torch`` are imported only where used.
"""

from wattlab.systems.wireless.ris import (
    VARIANTS,
    Action,
    Channels,
    Drop,
    Metrics,
    RisConfig,
    RisModel,
    draw_channels,
)
from wattlab.systems.wireless.ris_baselines import Solution, alternating_optimisation, random_search

__all__ = [
    "VARIANTS",
    "Action",
    "Channels",
    "Drop",
    "Metrics",
    "RisConfig",
    "RisModel",
    "Solution",
    "alternating_optimisation",
    "draw_channels",
    "random_search",
]
