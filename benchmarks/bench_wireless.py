"""Aerial-RIS environment step time against a stable-baselines3 CartPole step, same run.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_wireless.py [--steps 2000] [--repeat 5]

Times, per environment step (best of ``repeat``):

* SB3 CartPole: ``DummyVecEnv([CartPole-v1])`` stepped with random actions (1 env and 64 envs),
  the baseline the issue names;
* the aerial-RIS ``gymnasium`` env (one environment, NumPy batch of 1);
* the batched aerial-RIS core / SB3 ``VecEnv`` with 64 environments (one NumPy batch per step).

The goal: the aerial-RIS step at least as fast per environment step as the CartPole step.
Also times the three quick studies. Writes benchmarks/results/bench_wireless.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-studies", action="store_true")
    args = ap.parse_args()
    import gymnasium as gym
    from stable_baselines3.common.vec_env import DummyVecEnv

    from wattlab.systems.wireless import Drop, RisConfig, RisModel
    from wattlab.systems.wireless.ris_env import make_env, make_vec_env

    n = args.steps
    res: dict[str, float] = {}
    for envs in (1, 64):
        cp = DummyVecEnv([lambda: gym.make("CartPole-v1")] * envs)
        cp.reset()
        acts = np.random.default_rng(0).integers(0, 2, (n // envs + 1, envs))

        def run_cp(cp=cp, acts=acts, envs=envs) -> None:
            for i in range(max(1, n // envs)):
                cp.step(acts[i])

        res[f"cartpole_dummyvec{envs}_us_per_env_step"] = (
            1e6 * best_of(run_cp, args.repeat) / (max(1, n // envs) * envs)
        )
    m = RisModel(RisConfig())
    drop = Drop.random(m.cfg, m.phy, np.random.default_rng(0))
    env = make_env(m, drop)
    env.reset(seed=0)
    a = env.action_space.sample()

    def run_single() -> None:
        for _ in range(n):
            env.step(a)

    res["ris_gym_env_us_per_step"] = 1e6 * best_of(run_single, args.repeat) / n
    for envs in (64, 256):
        v = make_vec_env(m, drop, envs)
        v.reset()
        acts = np.random.default_rng(0).uniform(-1, 1, (envs, m.cfg.n_continuous)).astype(np.float32)

        def run_vec(v=v, acts=acts, envs=envs) -> None:
            for _ in range(max(1, n // envs)):
                v.step(acts)

        res[f"ris_vecenv{envs}_us_per_env_step"] = (
            1e6 * best_of(run_vec, args.repeat) / (max(1, n // envs) * envs)
        )
    res["ratio_ris_vec64_vs_cartpole_vec1"] = (
        res["cartpole_dummyvec1_us_per_env_step"] / res["ris_vecenv64_us_per_env_step"]
    )
    res["ratio_ris_vec64_vs_cartpole_vec64"] = (
        res["cartpole_dummyvec64_us_per_env_step"] / res["ris_vecenv64_us_per_env_step"]
    )
    if not args.no_studies:
        from wattlab.params import default_registry
        from wattlab.studies.wireless import STUDIES
        from wattlab.study import RunContext

        for s in STUDIES:
            t = time.perf_counter()
            s.run(RunContext("quick", np.random.default_rng(0), default_registry()))
            res[f"study_{s.id}_s"] = time.perf_counter() - t
    for k, val in res.items():
        print(f"{k:50s} {val:10.3f}")
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_wireless.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
