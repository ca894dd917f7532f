"""Spiking substrate: exact spike coding of quantised activations, spiking layers and neurons.

- ``Coding``: rate, bitwise, ternary rate/bitwise (TC-LIF) and two's-complement codings with
  exact decoders (``coding``);
- ``ActivationQuantizer``, ``SpikingLinear`` (the substrate), ``spiking_matmul`` (``layer``);
- ``LIF``/``IF`` neurons with explicit reset semantics (``neurons``);
- ``SpikeEnergy``, ``BitSerialAccelerator`` (``energy``);
- reconstructed MSTS timestep allocation (``msts``) and ASN/NASN neurons (``asn``).

Converting a PyTorch model (per-layer calibration through ``wattlab.nn.patch``) lives one
layer up, in ``wattlab.nn.spiking``. Needs torch (``pip install 'wattlab[torch]'``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattlab.substrates.spiking.coding import KINDS, Coding, min_timesteps
    from wattlab.substrates.spiking.energy import BitSerialAccelerator, SpikeEnergy
    from wattlab.substrates.spiking.layer import (
        ActivationQuantizer,
        SpikingLinear,
        quantize_weight,
        spiking_matmul,
    )
    from wattlab.substrates.spiking.neurons import IF, LIF

_EXPORTS = {"KINDS": "coding", "Coding": "coding", "min_timesteps": "coding",
            "BitSerialAccelerator": "energy", "SpikeEnergy": "energy",
            "ActivationQuantizer": "layer", "SpikingLinear": "layer",
            "quantize_weight": "layer", "spiking_matmul": "layer", "IF": "neurons",
            "LIF": "neurons"}


def __getattr__(name: str) -> Any:
    """Import the submodules on first use, so that ``names`` (and the CLI's early checks)
    never import torch."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["IF", "KINDS", "LIF", "ActivationQuantizer", "BitSerialAccelerator", "Coding",
           "SpikeEnergy", "SpikingLinear", "min_timesteps", "quantize_weight", "spiking_matmul"]
