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

from wattlab.substrates.spiking.coding import KINDS, Coding, min_timesteps
from wattlab.substrates.spiking.energy import BitSerialAccelerator, SpikeEnergy
from wattlab.substrates.spiking.layer import (
    ActivationQuantizer,
    SpikingLinear,
    quantize_weight,
    spiking_matmul,
)

__all__ = ["KINDS", "ActivationQuantizer", "BitSerialAccelerator", "Coding", "SpikeEnergy",
           "SpikingLinear", "min_timesteps", "quantize_weight", "spiking_matmul"]

from wattlab.substrates.spiking.neurons import IF, LIF

__all__ += ["IF", "LIF"]
