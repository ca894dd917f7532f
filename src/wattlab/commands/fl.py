"""``wattlab fl``: centralised vs federated training energy for a fleet of IoT nodes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wattlab.commands._options import BoundedInt, OutFile, Seed
from wattlab.commands._output import literal_console
from wattlab.errors import SpecError

app = typer.Typer(help="Centralised vs federated learning: energy ledgers and break-even.",
                  no_args_is_help=True)
console = literal_console()

#: --train generates clients x windows raw windows of 4096 float64 samples (32 kB each):
#: 20 000 of them are ~0.7 GB and a few minutes of training on one core.
TRAIN_MAX_WINDOWS = 20_000
TRAIN_MAX_ROUNDS = 200


@app.command()
def compare(
    clients: Annotated[int, typer.Option(click_type=BoundedInt(1, 10_000),
                                         help="Number of nodes, 1..10000.")] = 10,
    windows: Annotated[int, typer.Option(click_type=BoundedInt(1, 1_000_000),
                                         help="Raw vibration windows per node.")] = 300,
    hidden: Annotated[int, typer.Option(click_type=BoundedInt(0, 4096),
                                        help="MLP hidden width (0: softmax regression).")] = 32,
    rounds: Annotated[int, typer.Option(click_type=BoundedInt(1, 10_000),
                                        help="FedAvg rounds (= centralised epochs).")] = 20,
    radio: Annotated[str, typer.Option(help="Node radio: lte, ltem or nbiot.")] = "lte",
    central_upload: Annotated[str, typer.Option(
        help="What centralised training uploads: raw or features.")] = "raw",
    per_bit_only: Annotated[bool, typer.Option(
        "--per-bit-only", help="Drop the radio session overheads (LTE RRC promotion and "
        "tail, listening between rounds, retransmissions): energy per bit only.")] = False,
    train: Annotated[bool, typer.Option(
        "--train", help="Also train both ways on synthetic data and report accuracy.")] = False,
    seed: Seed = 0,
    json_out: Annotated[Path | None, typer.Option(
        "--json", click_type=OutFile((".json",)),
        help="Write both ledgers (every entry) to this JSON file.")] = None,
    params: Annotated[list[Path] | None, typer.Option(
        "--params", help="A TOML parameter file layered over the defaults (repeatable).")] = None,
) -> None:
    """Energy by phase of both architectures, the saving, break-even and 70% volumes.

    Example: wattlab fl compare --clients 20 --radio nbiot --json ledgers.json

    Session overheads (RRC promotion/tail per transfer session on lte, listening between
    rounds, HARQ retransmissions at fl.radio.bler) are charged unless --per-bit-only.
    """
    import json

    import numpy as np

    from wattlab.params import load_registry
    from wattlab.systems.fl import (
        CLASSES,
        EnergyModel,
        FedSpec,
        ModelSpec,
        RailSpec,
        generate_fleet,
        plan_central,
        plan_federated,
        run_central,
        run_fedavg,
        standardise,
    )
    from wattlab.systems.fl.data import N_FEATURES, feature_flops
    from wattlab.systems.fl.sweep import compare as affine

    if train and (clients * windows > TRAIN_MAX_WINDOWS or rounds > TRAIN_MAX_ROUNDS):
        raise SpecError(f"--train with {clients} x {windows} windows and {rounds} rounds is "
                        f"beyond this command's bound ({TRAIN_MAX_WINDOWS} windows, about 0.7 GB, "
                        f"and {TRAIN_MAX_ROUNDS} rounds); lower --clients/--windows/--rounds or "
                        "drop --train for the analytical ledgers")
    if radio not in ("lte", "ltem", "nbiot"):
        raise SpecError(f"--radio must be lte, ltem or nbiot, not '{radio}'")
    if central_upload not in ("raw", "features"):
        raise SpecError(f"--central-upload must be raw or features, not '{central_upload}'")
    reg = load_registry(params or [])
    spec = RailSpec(n_clients=clients, samples_per_client=windows)
    fed = FedSpec(rounds=rounds)
    model = ModelSpec(N_FEATURES, len(CLASSES), hidden=hidden)
    energy = EnergyModel.default(reg, radio, overheads=not per_bit_only)
    raw_bits = spec.window * reg.value("fl.rail.adc_bits")
    flops = feature_flops(spec.window)
    counts = [windows] * clients
    cl = plan_central(counts, raw_bits, flops, N_FEATURES, model, fed, energy, central_upload)
    fl = plan_federated(counts, flops, N_FEATURES, model, fed, energy)
    accuracy = {}
    if train:
        data = standardise(generate_fleet(spec, reg, np.random.default_rng(seed)))
        cl_run, fl_run = (run_central(data, model, fed, energy, seed),
                          run_fedavg(data, model, fed, energy, seed))
        accuracy = {"central": cl_run.final_accuracy, "federated": fl_run.final_accuracy}
        fl = fl_run.ledger
        if central_upload == "raw":  # the engine uploads raw windows
            cl = cl_run.ledger
    table = Table("phase", "centralised (J)", "federated (J)",
                  title=f"{clients} nodes × {windows} windows, MLP h={hidden}, {rounds} rounds, "
                        f"{radio}")
    by_cl, by_fl = cl.by("phase"), fl.by("phase")
    for phase in sorted(set(by_cl) | set(by_fl)):
        table.add_row(phase, f"{by_cl.get(phase, 0.0):.4g}", f"{by_fl.get(phase, 0.0):.4g}")
    table.add_row("total", f"{cl.total_j:.4g}", f"{fl.total_j:.4g}", style="bold")
    console.print(table)
    cmp = affine(clients, raw_bits, flops, N_FEATURES, model, fed, energy, central_upload)

    def count(v: float) -> str:
        return "never" if math.isinf(v) else f"{v:.0f} windows"

    console.print(f"saving 1 − E_FL/E_CL: {1 - fl.total_j / cl.total_j:.1%}; break-even "
                  f"{count(cmp.break_even)}/node; 70% saving from "
                  f"{count(cmp.volume_for(0.7))}/node; large-volume limit "
                  f"{cmp.asymptotic_saving:.1%}")
    if accuracy:
        console.print(f"accuracy: centralised {accuracy['central']:.1%}, federated "
                      f"{accuracy['federated']:.1%}")
    if json_out is not None:
        json_out.write_text(json.dumps({"central": cl.to_dict(), "federated": fl.to_dict(),
                                        "accuracy": accuracy}, indent=2), encoding="utf-8")
        console.print(f"ledgers written to {json_out}")
