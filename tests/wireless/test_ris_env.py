"""The gymnasium / stable-baselines3 faces of the aerial-RIS model."""

import numpy as np
import pytest

gym = pytest.importorskip(
    "gymnasium", reason="the RIS environment needs gymnasium (pip install 'wattlab[rl]')"
)

from wattlab.systems.wireless import Drop, RisConfig, RisModel  # noqa: E402
from wattlab.systems.wireless.ris_env import RisBatch, make_env  # noqa: E402


@pytest.fixture(scope="module")
def world():
    m = RisModel(RisConfig())
    return m, Drop.random(m.cfg, m.phy, np.random.default_rng(0))


@pytest.mark.parametrize("mode", ["continuous", "discrete"])
def test_gymnasium_env_checker(world, mode):
    from gymnasium.utils.env_checker import check_env

    env = make_env(*world, mode=mode)
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=3)
    _obs2, r, term, trunc, _ = env.step(env.action_space.sample())
    assert obs.shape == env.observation_space.shape and term and not trunc and np.isfinite(r)


def test_batched_step_shapes_and_rewards(world):
    b = RisBatch(*world, 32, np.random.default_rng(1))
    last, r, nxt = b.step(np.zeros((32, world[0].cfg.n_continuous)))
    assert last.shape == nxt.shape == (32, b.obs_dim) and r.shape == (32,)
    assert not np.allclose(last, nxt)  # a new channel after the one-step episode


def test_sb3_vecenv_and_hybrid_training(world):
    pytest.importorskip("stable_baselines3", reason="the hybrid agent needs stable-baselines3")
    from wattlab.systems.wireless.ris_env import make_vec_env, train_hybrid

    v = make_vec_env(*world, 8, mode="discrete")
    obs = v.reset()
    v.step_async(np.zeros(8, dtype=int))
    o2, _r, d, infos = v.step_wait()
    assert obs.shape == o2.shape and d.all() and "terminal_observation" in infos[0]
    res = train_hybrid(*world, rounds=1, steps_per_round=256, num_envs=8)
    assert len(res.curve) == 2 and res.curve[-1]["env_steps"] == 512
