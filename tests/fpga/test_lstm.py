import numpy as np
import pytest

from wattlab.errors import SpecError
from wattlab.substrates.fpga import BitTrueLSTM, LSTMSpec, LSTMWeights, QFormat


def test_batch_equals_one_sample_at_a_time():
    rng = np.random.default_rng(1)
    s = LSTMSpec(3, 6)
    w = LSTMWeights.random(s, rng, 0.5)
    x = rng.integers(-128, 128, (40, 5, 3))
    m = BitTrueLSTM(w)
    full = m.run(x)
    for n in (0, 17, 39):
        one = m.run(x[n:n + 1])
        assert np.array_equal(one.h_seq[0], full.h_seq[n])
        assert np.array_equal(one.c_seq[0], full.c_seq[n])


def test_bad_shapes_and_values_name_the_argument():
    s = LSTMSpec(2, 3)
    m = BitTrueLSTM(LSTMWeights.random(s, np.random.default_rng(0)))
    with pytest.raises(SpecError, match="'x' has shape"):
        m.run(np.zeros((4, 2), dtype=int))
    with pytest.raises(SpecError, match="input_size=2"):
        m.run(np.zeros((4, 3, 5), dtype=int))
    with pytest.raises(SpecError, match="'h0'"):
        m.run(np.zeros((4, 3, 2), dtype=int), h0=np.zeros((4, 2), dtype=int))
    with pytest.raises(SpecError, match="'w_hh' has shape"):
        LSTMWeights(s, np.zeros((12, 2), int), np.zeros((12, 2), int), np.zeros(12, int))
    with pytest.raises(SpecError, match=r"cannot represent 1\.0"):
        LSTMSpec(2, 3, fmt=QFormat(8, 7))


def test_weights_that_do_not_fit_are_saturated_and_counted():
    s = LSTMSpec(1, 2)
    w = LSTMWeights.quantize(s, np.full((8, 1), 9.0), np.zeros((8, 2)), np.zeros(8))
    assert w.w_ih.max() == 127 and w.counter.counts["weights"] == 8


def test_cycle_and_op_model():
    s = LSTMSpec(1, 20)
    assert s.cycles_per_step() == 20 * (21 + 1 + 2) + 2
    assert LSTMSpec(1, 20, shared_act=True).cycles_per_step() == 20 * (21 + 3 + 2) + 2
    assert s.ops_per_step() == 8 * 20 * 21 + 13 * 20
    assert s.acc == 16 + 5


def test_train_time_and_bit_true_diverge_where_expected():
    """Same float weights: the train-time model (round-to-nearest, exact 1/6 slope, float
    accumulation, saturating) and the bit-true cell (floor cut, 3/16 slope) agree to a few LSB on
    benign inputs; with a 2W-bit accumulator and extreme weights the hardware wraps and the two
    models part by far more than rounding."""
    torch = pytest.importorskip("torch", reason="the train-time model needs torch")
    fmt = QFormat(8, 4)
    i_sz, h_sz = 2, 4
    torch.manual_seed(0)
    from wattlab.substrates.fpga.lstm import make_fake_quant_lstm

    m = make_fake_quant_lstm(i_sz, h_sz, fmt)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (500, 6, i_sz))
    with torch.no_grad():
        h_tt = m(torch.tensor(x, dtype=torch.float32))[0].numpy()
    spec = LSTMSpec(i_sz, h_sz, fmt=fmt)
    w = LSTMWeights.from_torch(spec, m)
    bt = BitTrueLSTM(w).run(fmt.quantize(x))
    lsb = np.abs(h_tt * 16 - bt.h_seq)
    assert 0 < lsb.max() <= 4  # they do differ (rounding, slope), but only by a few LSB
    assert bt.counter.total == 0  # no overflow on benign inputs

    # crafted overflow: max weights, narrow (2W) accumulator -> wrap in hardware only
    with torch.no_grad():
        for p in (m.weight_ih_l0, m.weight_hh_l0):
            p.fill_(7.9)
    narrow = LSTMSpec(i_sz, h_sz, fmt=fmt, acc_bits=16)
    w2 = LSTMWeights.from_torch(narrow, m)
    xs = np.full((8, 3, i_sz), 7.9)
    bt2 = BitTrueLSTM(w2).run(fmt.quantize(xs))
    with torch.no_grad():
        h2 = m(torch.tensor(xs, dtype=torch.float32))[0].numpy() * 16
    assert bt2.counter.counts["gate.cut"] > 0
    assert np.abs(h2 - bt2.h_seq).max() >= 8  # half of 1.0 or more: not a rounding difference


@pytest.mark.parametrize("fmt,acc", [(QFormat(8, 4), None), (QFormat(8, 3, "trunc", "wrap"), 16),
                                     (QFormat(10, 5, "half_up"), None), (QFormat(6, 2), 12)])
@pytest.mark.parametrize("act", ["hard", "lut"])
def test_fast_path_equals_reference_kernels(fmt, acc, act):
    """Table look-ups, gate reordering, int32 and the int8 GEMM change nothing."""
    rng = np.random.default_rng(7)
    s = LSTMSpec(2, 24, fmt=fmt, acc_bits=acc, activation=act)
    w = LSTMWeights.random(s, rng)
    x = rng.integers(fmt.min_int, fmt.max_int + 1, (1200, 2, 2))  # large enough for the GEMM
    h0 = rng.integers(fmt.min_int, fmt.max_int + 1, (1200, 24))
    fast, ref = BitTrueLSTM(w).run(x, h0), BitTrueLSTM(w, fast=False).run(x, h0)
    assert np.array_equal(fast.h_seq, ref.h_seq) and np.array_equal(fast.c_seq, ref.c_seq)
    assert fast.counter.counts == ref.counter.counts
