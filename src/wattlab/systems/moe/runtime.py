"""NPUMoE-style execution of one MoE layer: static tiers, grouped dispatch, exact fallback.

``pack`` builds the plan by sort-and-gather: assignments sorted by expert, a row's rank in its
expert's run gives its capacity slot. An assignment runs on the accelerator path when its expert
is resident and its rank is below the expert's tier; all others (overflow, non-resident experts)
go to the fallback path and are computed exactly, never dropped. Resident experts sharing a tier
are packed ``group`` at a time into one ``[G, C, d]`` batched program.

``run_layer`` really computes both paths on the CPU (padding rows gather a zero row and carry
zero weight) and returns the same output as the reference ``MoEFFN`` forward (a shared expert,
being dense and static, is added as one more fixed-shape program).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from wattlab.errors import SpecError
from wattlab.systems.moe.layer import MoEFFN
from wattlab.systems.moe.tiers import check_tiers, tier_of


@dataclass(frozen=True)
class Group:
    capacity: int
    experts: tuple[int, ...]


@dataclass(frozen=True)
class Packing:
    groups: tuple[Group, ...]
    on_npu: np.ndarray  # bool per flattened (token, slot) assignment
    rank: np.ndarray  # slot row of each assignment within its expert
    padded_rows: int
    fallback_rows: int
    fallback_experts: int

    @property
    def dispatches(self) -> int:
        return len(self.groups)


def pack(idx: np.ndarray, n_experts: int, tiers: Sequence[int], resident: np.ndarray,
         group: int) -> Packing:
    """The dispatch plan for routing decisions ``idx [N, k]`` (see the module docstring)."""
    tiers = check_tiers(tiers)
    if group < 1:
        raise SpecError(f"group={group}: a dispatch group holds at least one expert")
    if resident.shape != (n_experts,):
        raise SpecError(f"resident mask has shape {resident.shape}; expected ({n_experts},)")
    flat = idx.reshape(-1)
    order = np.argsort(flat, kind="stable")
    counts = np.bincount(flat, minlength=n_experts)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty_like(flat)
    rank[order] = np.arange(len(flat)) - start[flat[order]]
    cap = tier_of(counts, tiers)
    on_npu = resident[flat] & (rank < cap[flat])
    groups: list[Group] = []
    for c in tiers:
        es = np.flatnonzero(resident & (cap == c) & (counts > 0))
        groups += [Group(c, tuple(int(e) for e in es[i:i + group])) for i in range(0, len(es), group)]
    fb = ~on_npu
    return Packing(tuple(groups), on_npu, rank, sum(g.capacity * len(g.experts) for g in groups),
                   int(fb.sum()), len(np.unique(flat[fb])))


def run_layer(moe: MoEFFN, x: torch.Tensor, tiers: Sequence[int], resident: np.ndarray,
              group: int) -> tuple[torch.Tensor, Packing]:
    """The layer's output on tokens ``x [N, d]`` through the tiered plan, and the plan used."""
    idx, w = moe.route(x)
    n, k = idx.shape
    plan = pack(idx.numpy(), moe.n_experts, tiers, resident, group)
    g_w, u_w, d_w = moe.expert_weights()
    xz = torch.cat([x, x.new_zeros(1, x.shape[1])])  # row n: the zero row padding slots gather
    out = x.new_zeros(n + 1, x.shape[1])
    tok = torch.arange(n).repeat_interleave(k)
    wf = w.reshape(-1)
    flat = idx.reshape(-1)
    npu = torch.from_numpy(plan.on_npu)
    rank = torch.from_numpy(plan.rank)
    for grp in plan.groups:
        es = torch.tensor(grp.experts)
        slot_tok = torch.full((len(es), grp.capacity), n, dtype=torch.long)
        slot_w = x.new_zeros(len(es), grp.capacity)
        pos = torch.full((moe.n_experts,), -1, dtype=torch.long)
        pos[es] = torch.arange(len(es))
        sel = npu & (pos[flat] >= 0)
        slot_tok[pos[flat[sel]], rank[sel]] = tok[sel]
        slot_w[pos[flat[sel]], rank[sel]] = wf[sel]
        xb = xz[slot_tok]  # [G, C, d]
        y = torch.bmm(F.silu(torch.bmm(xb, g_w[es])) * torch.bmm(xb, u_w[es]), d_w[es])
        out.index_add_(0, slot_tok.reshape(-1), (y * slot_w[..., None]).reshape(-1, x.shape[1]))
    fb = ~npu
    for e in torch.unique(flat[fb]).tolist():
        sel = fb & (flat == e)
        out.index_add_(0, tok[sel], moe.expert(e, x[tok[sel]]) * wf[sel, None])
    return out[:n] + moe.shared_out(x), plan
