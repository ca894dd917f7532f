"""Hold an elastic-ai.creator LSTM design against wattlab's on the same weights (optional).

elastic-ai.creator (MIT; ``pip install elasticai.creator``) generates the group's own
LSTM + linear network VHDL. :func:`compare_with_creator` builds a creator network (Q(8,4), one
input, hidden size ``hidden``) with weights on the Q(8,4) grid (so quantisation is unambiguous;
b_hh = 0 so the stored bias is b_ih), writes its design, drives it with a wattlab file-I/O
testbench over **every** 8-bit input (one timestep from the zero state, then the linear head) in
GHDL, and counts agreement with (a) the creator's own PyTorch model and (b) wattlab's bit-true
LSTM + integer head under each rounding mode. Nothing is asserted: the numbers are reported.

Known limits of this harness: the creator network's interface is driven as its own testbench
template does (write x at address 0, raise ``enable``, wait for ``done``); a disagreement may
come from the creator's semantics (wrapping adds, sign-only overflow detection, 2W-bit
accumulator) or from how the harness drives it. The creator's network elaborates only when
ceil(log2(H + 1)) == ceil(log2(H)) (its network and cell disagree on the hidden-address width
otherwise, e.g. H = 4), so ``hidden`` must satisfy that.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from wattlab.errors import SpecError, require
from wattlab.substrates.fpga import vhdl
from wattlab.substrates.fpga.fxp import QFormat
from wattlab.substrates.fpga.lstm import BitTrueLSTM, LSTMSpec, LSTMWeights
from wattlab.substrates.fpga.mlp import IntegerMLP

_TB = """library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use std.textio.all;

entity eac_tb is
end entity;

architecture sim of eac_tb is
  signal clock : std_logic := '0';
  signal running : boolean := true;
  signal enable, x_we, done : std_logic := '0';
  signal x, d_out : std_logic_vector(7 downto 0) := (others => '0');
  signal addr_in : std_logic_vector(3 downto 0) := (others => '0');
begin
  clock <= not clock after 5 ns when running else '0';
  uut : entity work.lstm_network(rtl) port map (clock => clock, enable => enable, x => x,
      addr_in => addr_in, x_we => x_we, done => done, d_out => d_out);
  process
    file fout : text open write_mode is "out.txt";
    variable lo : line;
    variable cycles : integer;
  begin
    for v in -128 to 127 loop
      enable <= '0';
      for k in 1 to 4 loop wait until falling_edge(clock); end loop;
      x <= std_logic_vector(to_signed(v, 8)); x_we <= '1';
      wait until falling_edge(clock); x_we <= '0';
      wait until falling_edge(clock);
      enable <= '1'; cycles := 0;
      while done /= '1' and cycles < 100000 loop
        wait until falling_edge(clock); cycles := cycles + 1;
      end loop;
      write(lo, v); write(lo, ' '); write(lo, to_integer(signed(d_out)));
      write(lo, ' '); write(lo, cycles);
      writeline(fout, lo);
    end loop;
    running <= false;
    wait;
  end process;
end architecture;
"""


def _aw(n: int) -> int:
    return max(1, math.ceil(math.log2(n)))


def compare_with_creator(hidden: int = 6, seed: int = 0, workdir: Path | None = None
                         ) -> dict[str, Any]:
    """Agreement counts over all 256 inputs (see the module docstring)."""
    torch = require("torch", extra="torch", purpose="the elastic-ai.creator comparison")
    require("elasticai.creator", extra="fpga", purpose="the elastic-ai.creator comparison")
    from elasticai.creator.file_generation.on_disk_path import OnDiskPath
    from elasticai.creator.nn.fixed_point import Linear
    from elasticai.creator.nn.fixed_point.lstm.layer import (
        FixedPointLSTMWithHardActivations,
        LSTMNetwork,
    )

    if _aw(hidden + 1) != _aw(hidden):
        raise SpecError(f"'hidden' {hidden}: the creator's network elaborates only when "
                        "ceil(log2(H+1)) == ceil(log2(H)); try 3, 5, 6 or 7")
    exe = vhdl.ghdl_path()
    if exe is None:
        raise vhdl.GHDLMissingError()
    rng = np.random.default_rng(seed)
    net = LSTMNetwork([FixedPointLSTMWithHardActivations(total_bits=8, frac_bits=4, input_size=1,
                                                         hidden_size=hidden, bias=True),
                       Linear(total_bits=8, frac_bits=4, in_features=hidden, out_features=1,
                              bias=True)])
    with torch.no_grad():
        for name, p in net.named_parameters():
            grid = rng.integers(-24, 25, tuple(p.shape)) / 16.0
            p.copy_(torch.tensor(0 * grid if name.endswith("linear_hh.bias") else grid))
    ints = {k: np.rint(v.numpy() * 16).astype(np.int64) for k, v in net.state_dict().items()}
    wd = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="wattlab_eac_"))
    net.create_design("network").save_to(OnDiskPath("build", parent=str(wd)))
    (wd / "eac_tb.vhd").write_text(_TB, encoding="utf-8")
    b = wd / "build"
    order = (sorted(b.glob("lstm_cell/*rom*.vhd")) + sorted(b.glob("lstm_cell/dual_port*.vhd"))
             + sorted(b.glob("fp_linear_0/*_rom.vhd")) + [b / "fp_linear_0/fp_linear_0.vhd"]
             + sorted(b.glob("lstm_cell/lstm_cell_hard*.vhd")) + [b / "lstm_cell/lstm_cell.vhd",
                                                                  b / "lstm_network.vhd",
                                                                  wd / "eac_tb.vhd"])
    (wd / "work").mkdir(exist_ok=True)
    for args in ([["-a", "--workdir=work", "-fsynopsys", str(f)] for f in order]
                 + [["-e", "--workdir=work", "-fsynopsys", "eac_tb"],
                    ["-r", "--workdir=work", "-fsynopsys", "eac_tb", "--ieee-asserts=disable"]]):
        r = subprocess.run([exe, *args], cwd=wd, capture_output=True, text=True, timeout=600,
                           check=False)
        if r.returncode != 0:
            raise SpecError(f"ghdl {args[0]} failed on the creator design in {wd}: "
                            f"{(r.stderr or r.stdout).strip()[:1500]}")
    out = np.loadtxt(wd / "out.txt", dtype=np.int64)
    xs, y_hw = out[:, 0], out[:, 1]
    with torch.no_grad():
        y_sw = net(torch.tensor(xs / 16.0, dtype=torch.float32).reshape(-1, 1, 1))
    y_sw = np.rint(y_sw.numpy().ravel() * 16).astype(np.int64)
    rows = [{"model": "creator PyTorch (its train-time model)",
             "agree": int((y_sw == y_hw).sum()), "max_abs_lsb": int(np.abs(y_sw - y_hw).max())}]
    bias = ints["lstm.cell.linear_ih.bias"] + ints["lstm.cell.linear_hh.bias"]
    for rounding in ("trunc", "floor", "half_up"):
        f = QFormat(8, 4, rounding, "saturate")
        w = LSTMWeights(LSTMSpec(1, hidden, fmt=f, acc_bits=16),
                        ints["lstm.cell.linear_ih.weight"], ints["lstm.cell.linear_hh.weight"],
                        bias)
        h = BitTrueLSTM(w).run(xs.reshape(-1, 1, 1)).h
        y = IntegerMLP([ints["layers.fp_linear_0.weight"]], [ints["layers.fp_linear_0.bias"]],
                       f, acc_bits=16).run(h)[:, 0]
        rows.append({"model": f"wattlab bit-true ({rounding}, saturate)",
                     "agree": int((y == y_hw).sum()), "max_abs_lsb": int(np.abs(y - y_hw).max())})
    return {"vectors": len(xs), "hidden": hidden, "creator_cycles": int(out[0, 2]),
            "rows": rows, "workdir": str(wd)}
