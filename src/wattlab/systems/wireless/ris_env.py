"""The aerial-RIS problem as reinforcement-learning environments, and a hybrid DQN + PPO agent.

Episodes are one step long (a contextual bandit, as in most DRL-for-RIS designs): ``reset``
draws a new small-scale channel realisation of a fixed drop and returns its observation; ``step``
applies a configuration and returns the reward ``Metrics.score / REWARD_UNIT`` (EE in units of
10 Mbit/J where every user meets its QoS floor, minus the relative shortfall elsewhere).

* :class:`RisBatch` — the NumPy core: ``num_envs`` environments stepped as one batch;
* :class:`AerialRisEnv` — a ``gymnasium.Env`` (one environment; ``gymnasium`` needed);
* :class:`RisVecEnv` — a stable-baselines3 ``VecEnv`` over the batched core (no per-env loop);
* :func:`train_hybrid` — the hybrid agent: DQN picks the discrete block (fluid-antenna ports and
  AAV point), PPO the continuous block (RIS phases/amplitudes, harvesting split, powers); they are
  trained in alternation, each against the other's current greedy policy (a simplified version of
  the paper's multi-agent SOHRL; no attention encoder and no meta-level PPO tuning). Downlink beam
  *directions* are zero-forcing on the effective channel (closed form); PPO learns the per-user
  beam powers, not the beam vectors — a simplification of the paper's learned beamforming.

Observation: for every AAV point, cos/sin of the cascaded phase of each user through each RIS
element (relative to port 0), and the direct-link gains over all ports in dB above the noise
(scaled by 1/10), float32.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from wattlab.errors import MissingDependencyError, SpecError
from wattlab.systems.wireless.ris import Channels, ChannelSampler, Drop, Metrics, RisModel, draw_channels

#: Reward normalisation (bit/J per reward unit): keeps rewards O(1) for the learners.
REWARD_UNIT = 1e7
Mode = Literal["continuous", "discrete"]
Policy = Callable[[np.ndarray], np.ndarray]
#: Observation bound: cos/sin lie in [-1, 1]; gains are clipped to ±500 dB / 10.
OBS_BOUND = 50.0


def reward_of(m: Metrics) -> np.ndarray:
    """EE / REWARD_UNIT where every QoS floor is met, else minus the relative shortfall."""
    return np.where(m.feasible, m.score / REWARD_UNIT, m.score)


def observe(model: RisModel, ch: Channels) -> np.ndarray:
    """Observation vectors (B, D) of a channel batch."""
    g0 = ch.G[:, :, :, 0]  # (B,Q,N)
    casc = (np.concatenate([ch.hr, ch.ur], axis=2) * g0[:, :, None, :]).reshape(ch.batch, -1)  # (B,Q*K*N)
    unit = casc / np.maximum(np.abs(casc), 1e-300)
    direct = np.concatenate([ch.hd, ch.fu], axis=1)  # (B,K,P)
    gain_db = 10 * np.log10(np.abs(direct) ** 2 / model.phy.noise + 1e-30).reshape(ch.batch, -1)
    feats = np.concatenate([unit.real, unit.imag, gain_db / 10.0], axis=1)
    return np.clip(feats, -OBS_BOUND, OBS_BOUND).astype(np.float32)


class RisBatch:
    """``num_envs`` one-step environments of one drop, stepped together in NumPy."""

    render_mode: str | None = None

    def __init__(
        self,
        model: RisModel,
        drop: Drop,
        num_envs: int,
        rng: np.random.Generator,
        mode: Mode = "continuous",
    ) -> None:
        if mode not in ("continuous", "discrete"):
            raise SpecError(f"mode: {mode!r} is not 'continuous' or 'discrete'")
        if int(num_envs) != num_envs or num_envs < 1:
            raise SpecError(f"num_envs: {num_envs!r} must be a positive integer")
        self.model, self.drop, self.num_envs, self.rng, self.mode = model, drop, int(num_envs), rng, mode
        c = model.cfg
        #: the other agent's policy: obs → discrete indices (continuous mode) or → [-1,1]^D
        self.other: Policy = (
            (lambda o: np.zeros(len(o), dtype=int))
            if mode == "continuous"
            else (lambda o: np.zeros((len(o), c.n_continuous)))
        )
        self.sampler = ChannelSampler(c, model.phy, drop, dtype=np.complex64)  # single precision: speed
        self.ch = self.sampler.draw(rng, self.num_envs)
        self.obs = observe(model, self.ch)

    @property
    def obs_dim(self) -> int:
        return int(self.obs.shape[1])

    def reset(self) -> np.ndarray:
        self.ch = self.sampler.draw(self.rng, self.num_envs)
        self.obs = observe(self.model, self.ch)
        return self.obs

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply a batch of actions; returns (terminal obs, reward, next obs after auto-reset)."""
        act = np.asarray(actions)
        if self.mode == "continuous":
            a = self.model.action(self.other(self.obs), act.reshape(self.num_envs, -1))
        else:
            a = self.model.action(act.reshape(self.num_envs), self.other(self.obs))
        reward = reward_of(self.model.evaluate(self.ch, a))
        last = self.obs
        return last, reward.astype(np.float32), self.reset()


def _gym() -> Any:
    try:
        import gymnasium
    except ImportError as exc:
        raise MissingDependencyError("gymnasium", "rl", "the aerial-RIS gymnasium environment") from exc
    return gymnasium


def _spaces(batch: RisBatch) -> tuple[Any, Any]:
    spaces = _gym().spaces
    obs = spaces.Box(-OBS_BOUND, OBS_BOUND, (batch.obs_dim,), np.float32)
    if batch.mode == "continuous":
        act = spaces.Box(-1.0, 1.0, (batch.model.cfg.n_continuous,), np.float32)
    else:
        act = spaces.Discrete(batch.model.cfg.n_discrete)
    return obs, act


def make_env(model: RisModel, drop: Drop, seed: int = 0, mode: Mode = "continuous") -> Any:
    """A ``gymnasium.Env`` of one aerial-RIS environment (see :class:`RisBatch`)."""
    gym = _gym()

    class AerialRisEnv(gym.Env):  # type: ignore[name-defined]
        metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012
        render_mode = None

        def __init__(self) -> None:
            self.core = RisBatch(model, drop, 1, np.random.default_rng(seed), mode)
            self.observation_space, self.action_space = _spaces(self.core)

        def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
            super().reset(seed=seed)
            if seed is not None:
                self.core.rng = np.random.default_rng(seed)
            return self.core.reset()[0], {}

        def step(self, action: Any) -> Any:
            _, r, _ = self.core.step(np.asarray(action)[None])
            return self.core.obs[0], float(r[0]), True, False, {}

    return AerialRisEnv()


def make_vec_env(model: RisModel, drop: Drop, num_envs: int, seed: int = 0, mode: Mode = "continuous") -> Any:
    """A stable-baselines3 ``VecEnv`` whose ``num_envs`` environments step as one NumPy batch."""
    try:
        from stable_baselines3.common.vec_env import VecEnv
    except ImportError as exc:
        raise MissingDependencyError("stable_baselines3", "rl", "the aerial-RIS learners") from exc

    class RisVecEnv(VecEnv):
        def __init__(self) -> None:
            self.core = RisBatch(model, drop, num_envs, np.random.default_rng(seed), mode)
            obs, act = _spaces(self.core)
            super().__init__(num_envs, obs, act)
            self._actions: np.ndarray | None = None

        def reset(self) -> np.ndarray:
            return self.core.reset()

        def step_async(self, actions: np.ndarray) -> None:
            self._actions = actions

        def step_wait(self) -> Any:
            assert self._actions is not None
            last, r, nxt = self.core.step(self._actions)
            infos = [{"terminal_observation": last[i], "TimeLimit.truncated": False} for i in range(num_envs)]
            return nxt, r, np.ones(num_envs, dtype=bool), infos

        def close(self) -> None:
            return None

        def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
            return [getattr(self.core, attr_name)] * num_envs

        def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
            setattr(self.core, attr_name, value)

        def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list[Any]:
            return [getattr(self.core, method_name)(*args, **kwargs)]

        def env_is_wrapped(self, wrapper_class: Any, indices: Any = None) -> list[bool]:
            return [False] * num_envs

    return RisVecEnv()


@dataclass
class HybridResult:
    """Learning curve of the hybrid agent against the honest baselines on a fixed test batch."""

    curve: list[dict[str, float]] = field(default_factory=list)
    baselines: dict[str, float] = field(default_factory=dict)
    train_seconds: float = 0.0
    dqn: Any = None
    ppo: Any = None


def _mean_score(
    model: RisModel, ch: Channels, disc: np.ndarray, cont: np.ndarray
) -> tuple[float, float, float]:
    m = model.evaluate(ch, model.action(disc, cont))
    return (
        float(np.mean(np.where(m.feasible, m.ee, 0.0))),
        float(np.mean(m.feasible)),
        float(np.mean(reward_of(m))),
    )


def train_hybrid(
    model: RisModel,
    drop: Drop,
    *,
    seed: int = 0,
    rounds: int = 2,
    steps_per_round: int = 2048,
    num_envs: int = 64,
    test: Channels | None = None,
) -> HybridResult:
    """Train DQN (discrete block) and PPO (continuous block) in alternation; evaluate the greedy
    joint policy on ``test`` channels after each round: ``score`` is the mean EE (bit/J) counting 0
    where a user misses its rate floor, ``feasible`` the fraction of channels meeting every floor,
    ``reward`` the mean reward (EE / REWARD_UNIT where feasible, else minus the rate shortfall)."""
    try:
        import torch
        from stable_baselines3 import DQN, PPO
    except ImportError as exc:
        raise MissingDependencyError("stable_baselines3", "rl", "the hybrid DQN + PPO agent") from exc
    for f, v in (("rounds", rounds), ("steps_per_round", steps_per_round)):
        if int(v) != v or v < 1:
            raise SpecError(f"{f}: {v!r} must be a positive integer")
    torch.set_num_threads(1)
    c = model.cfg
    rng = np.random.default_rng(seed)
    test = test if test is not None else draw_channels(c, model.phy, drop, rng, 64)
    obs_test = observe(model, test)
    venv_d = make_vec_env(model, drop, num_envs, seed + 1, "discrete")
    venv_c = make_vec_env(model, drop, num_envs, seed + 2, "continuous")
    dqn = DQN(
        "MlpPolicy",
        venv_d,
        learning_rate=1e-3,
        buffer_size=20_000,
        learning_starts=256,
        batch_size=64,
        train_freq=1,
        gradient_steps=1,
        target_update_interval=200,
        exploration_fraction=0.5,
        exploration_final_eps=0.05,
        gamma=0.0,
        seed=seed,
        policy_kwargs={"net_arch": [64, 64]},
        device="cpu",
    )
    ppo = PPO(
        "MlpPolicy",
        venv_c,
        n_steps=max(8, 1024 // num_envs),
        batch_size=256,
        n_epochs=5,
        learning_rate=1e-3,
        gamma=0.0,
        gae_lambda=1.0,
        seed=seed,
        ent_coef=0.0,
        policy_kwargs={"net_arch": [64, 64], "log_std_init": -0.5},
        device="cpu",
    )

    def disc_policy(o: np.ndarray) -> np.ndarray:
        return np.asarray(dqn.predict(o, deterministic=True)[0]).reshape(-1).astype(int)

    def cont_policy(o: np.ndarray) -> np.ndarray:
        return np.asarray(ppo.predict(o, deterministic=True)[0]).reshape(len(o), -1)

    out = HybridResult(dqn=dqn, ppo=ppo)
    s0, f0, r0 = _mean_score(
        model, test, np.zeros(test.batch, dtype=int), np.zeros((test.batch, c.n_continuous))
    )
    out.curve.append({"round": 0, "env_steps": 0, "score": s0, "feasible": f0, "reward": r0})
    t0 = time.perf_counter()
    for r in range(1, rounds + 1):
        venv_d.core.other = cont_policy
        dqn.learn(steps_per_round, reset_num_timesteps=False)
        venv_c.core.other = disc_policy
        ppo.learn(steps_per_round, reset_num_timesteps=False)
        sc, fe, rw = _mean_score(model, test, disc_policy(obs_test), cont_policy(obs_test))
        out.curve.append(
            {"round": r, "env_steps": 2 * r * steps_per_round, "score": sc, "feasible": fe, "reward": rw}
        )
    out.train_seconds = time.perf_counter() - t0
    return out
