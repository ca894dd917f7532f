"""FPGA substrate: fixed-point Q(W, F) integer kernels, a bit-true LSTM accelerator and integer
MLPs with their generated VHDL (simulated in GHDL), and an energy/throughput model of small
FPGAs (Spartan-7 XC7S15, iCE40UP5K) read from the hardware catalogue."""

from wattlab.substrates.fpga.fxp import ActivationLUT, QFormat, SatCounter, acc_matmul, wrap
from wattlab.substrates.fpga.lstm import BitTrueLSTM, BitTrueResult, LSTMSpec, LSTMWeights

# FPGASubstrate (the Substrate protocol: fixed-point GEMMs priced on a MAC array) lives in
# wattlab.substrates.fpga.substrate; it reads the catalogue, so it is imported on use.

__all__ = ["ActivationLUT", "BitTrueLSTM", "BitTrueResult", "LSTMSpec", "LSTMWeights", "QFormat",
           "SatCounter", "acc_matmul", "wrap"]
