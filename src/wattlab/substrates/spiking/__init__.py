"""Spiking substrate: exact spike coding of quantised activations, spiking layers and neurons.

- ``Coding``: rate, bitwise, ternary rate/bitwise (TC-LIF) and two's-complement codings with
  exact decoders (``coding``);
- ``ActivationQuantizer``, ``SpikingLinear`` (the substrate), ``spiking_matmul`` (``layer``);
- ``LIF``/``IF`` neurons with explicit reset semantics (``neurons``);
- ``SpikeEnergy``, ``BitSerialAccelerator`` (``energy``);
- ``convert``/``calibrate`` a model through ``wattlab.nn.patch`` (``convert``);
- reconstructed MSTS timestep allocation (``msts``) and ASN/NASN neurons (``asn``).

Needs torch (``pip install 'wattlab[torch]'``).
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

from wattlab.substrates.spiking.convert import (  # noqa: E402
    SpikingConfig,
    SpikingModel,
    convert,
    text_batches,
)
from wattlab.substrates.spiking.neurons import IF, LIF  # noqa: E402

__all__ += ["IF", "LIF", "SpikingConfig", "SpikingModel", "convert", "text_batches"]
