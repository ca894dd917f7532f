"""Compute-in-memory substrates: CIM macros and macro arrays (AccelCIM), functional digital and
analog CIM GEMMs usable through :func:`wattlab.nn.patch`, and GEM3D-CIM's in-memory transpose
and element-wise operations."""

from wattlab.substrates.cim.functional import (
    AnalogCimSubstrate,
    DigitalCimSubstrate,
    analog_cim_int_gemm,
    digital_cim_int_gemm,
)
from wattlab.substrates.cim.macro import ArrayModel, Macro

__all__ = ["AnalogCimSubstrate", "ArrayModel", "DigitalCimSubstrate", "Macro", "analog_cim_int_gemm",
           "digital_cim_int_gemm"]
