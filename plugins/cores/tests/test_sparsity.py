"""Data-dependent timing: zero tiles and zero operand blocks are skipped and counted."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from npusim_cores.sparsity import nonzero_blocks, sparse_gemm_timing


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("df", ["ws", "os", "is"])
def test_dense_data_matches_dense_model(make_core, df):
    core = make_core(32, 32, df)
    r = sparse_gemm_timing(core, _rand(100, 70), _rand(70, 50))
    dense = core.cpp.gemm(100, 50, 70, 4)
    assert (r.latency, r.occupancy) == (dense.latency, dense.occupancy) == (r.dense_latency, r.dense_occupancy)
    assert r.folds_skipped == 0 and not r.tile_skipped and r.zero_blocks_a == r.zero_blocks_b == 0


@pytest.mark.parametrize("df", ["ws", "os", "is"])
def test_zero_tile_skips_movin_and_matmul(make_core, df):
    core = make_core(32, 32, df)
    r = sparse_gemm_timing(core, np.zeros((64, 64), np.float32), _rand(64, 64))
    assert r.tile_skipped and r.skip_movin_a and not r.skip_movin_b
    assert (r.latency, r.occupancy) == (0, 0) and r.folds_skipped == r.folds_total > 0
    assert r.cycles_saved == r.dense_latency


def test_ws_skips_folds_with_zero_weight_blocks(make_core):
    core = make_core(32, 32, "ws")
    b = _rand(128, 128)
    b[32:64, :] = 0          # one K-block row of B is zero: 4 folds (one per N-block)
    b[96:128, 64:96] = 0     # plus one more block
    r = sparse_gemm_timing(core, _rand(200, 128), b)
    assert r.folds_total == 16 and r.folds_skipped == 5 and r.zero_blocks_b == 5
    assert r.latency == core.cpp.gemm_folds(11, 200).latency < r.dense_latency


def test_zero_input_columns_skip_ws_folds(make_core):
    core = make_core(32, 32, "ws")
    a = _rand(50, 96)
    a[:, 0:32] = 0           # the first K-block of A is zero: every fold using it is skipped
    r = sparse_gemm_timing(core, a, _rand(96, 64))
    assert r.zero_blocks_a == 1 and r.folds_skipped == 2 and r.folds_total == 6


def test_os_and_is_skip_rows_and_columns(make_core):
    a, b = _rand(64, 40), _rand(40, 64)
    a[32:64, :] = 0
    r = sparse_gemm_timing(make_core(32, 32, "os"), a, b)
    assert r.folds_total == 4 and r.folds_skipped == 2 and r.zero_blocks_a == 1
    b2 = _rand(64, 30)
    b2[0:32, :] = 0
    r = sparse_gemm_timing(make_core(32, 32, "is"), _rand(40, 64), b2)
    assert r.folds_total == 4 and r.folds_skipped == 2 and r.zero_blocks_b == 1


def test_accepts_torch_tensors_including_bf16(make_core):
    core = make_core(16, 16, "ws")
    a = torch.randn(20, 16, dtype=torch.bfloat16)
    b = torch.zeros(16, 16)
    r = sparse_gemm_timing(core, a, b)
    assert r.tile_skipped and r.skip_movin_b


def test_nonzero_blocks_pads_edges():
    x = np.zeros((5, 3))
    x[4, 2] = 1
    assert nonzero_blocks(x, 2, 2).tolist() == [[False, False], [False, False], [False, True]]


def test_shape_mismatch_is_one_line_error(make_core):
    with pytest.raises(ValueError, match="inner dimensions"):
        sparse_gemm_timing(make_core(), _rand(4, 5), _rand(6, 4))
