"""Data-dependent GEMM timing: skip all-zero operand tiles and array folds whose operand block is zero.

PyTorchSim's sparsity handling: a zero tile skips its MOVIN and zeroes the dependent matmuls. Here, at
tile granularity, an all-zero A or B skips the whole GEMM tile and that operand's DMA load; at fold
granularity (one array-sized block of the stationary operand with the streamed operand slice it
multiplies), a fold whose stationary block or streamed slice is all zero contributes nothing and is
not issued. The remaining folds are timed by the same C++ model (TLS or ILS) as dense tiles.
"""
from __future__ import annotations

import attrs
import numpy as np

DATAFLOWS = ("ws", "os", "is")


@attrs.frozen
class SparseGemmTiming:
    """Timing of one GEMM tile given its data, with what was skipped (cycles are core cycles)."""

    latency: int            # cycles until the result is complete (0 when the tile is skipped)
    occupancy: int          # cycles the array is busy before the next tile may start
    dense_latency: int      # the same tile without skipping
    dense_occupancy: int
    folds_total: int        # array folds of the dense tile
    folds_skipped: int      # folds not issued because an operand block is all zero
    blocks_a: int           # array-sized blocks of A at fold granularity (see module docstring)
    zero_blocks_a: int
    blocks_b: int
    zero_blocks_b: int
    tile_skipped: bool      # A or B entirely zero: no matmul at all
    skip_movin_a: bool      # A entirely zero: its DMA load can be skipped
    skip_movin_b: bool      # B entirely zero: its DMA load can be skipped

    @property
    def cycles_saved(self) -> int:
        return self.dense_latency - self.latency


def _as_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):  # torch.Tensor without importing torch
        x = x.detach().cpu()
        if getattr(x, "is_floating_point", lambda: False)() and str(x.dtype) == "torch.bfloat16":
            x = x.float()
        x = x.numpy()
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f"sparse_gemm_timing: operands must be 2-D matrices, got shape {arr.shape}")
    return arr


def _int64_vector():
    import cppyy

    return cppyy.gbl.std.vector["int64_t"]


def nonzero_blocks(x: np.ndarray, br: int, bc: int) -> np.ndarray:
    """Boolean [ceil(rows/br), ceil(cols/bc)] map: True where the br x bc block has a nonzero element."""
    r, c = x.shape
    nr, nc = -(-r // br), -(-c // bc)
    nz = x != 0
    if nr * br != r or nc * bc != c:
        nz = np.pad(nz, ((0, nr * br - r), (0, nc * bc - c)))
    return nz.reshape(nr, br, nc, bc).any(axis=(1, 3))


def sparse_gemm_timing(timing, a, b) -> SparseGemmTiming:
    """Time C[m,n] += A[m,k] @ B[k,n] on `timing` (a built "systolic" component) skipping zero blocks.

    `a` and `b` are numpy arrays or torch tensors of the tile's actual data (from functional execution).
    """
    a, b = _as_numpy(a), _as_numpy(b)
    (m, k), (k2, n) = a.shape, b.shape
    if k != k2:
        raise ValueError(f"sparse_gemm_timing: A is {a.shape} but B is {b.shape} (inner dimensions differ)")
    R, C, df = timing.rows, timing.cols, timing.config.dataflow
    if df == "ws":    # B[K,N] stationary in R x C blocks; each fold streams A[:, k-block]
        stat, stream = nonzero_blocks(b, R, C), nonzero_blocks(a, max(m, 1), R)[0]
        active, T = stat & stream[:, None], m
        blk_a, blk_b = stream, stat
    elif df == "os":  # C[M,N] blocks; fold (mb, nb) streams A[m-block, :] and B[:, n-block]
        rows_a, cols_b = nonzero_blocks(a, R, max(k, 1))[:, 0], nonzero_blocks(b, max(k, 1), C)[0]
        active, T = rows_a[:, None] & cols_b[None, :], k
        blk_a, blk_b = rows_a, cols_b
    else:             # is: A^T[K,M] stationary in R x C blocks; each fold streams B[k-block, :]
        stat, stream = nonzero_blocks(a.T, R, C), nonzero_blocks(b, R, max(n, 1))[:, 0]
        active, T = stat & stream[:, None], n
        blk_a, blk_b = stat, stream
    folds = int(active.size)
    live = int(active.sum())
    # Folds per output block, in issue order (see systolic.hpp FoldShape): ws/is accumulate over the
    # K blocks (rows of `active`) into one output block per column; os keeps partial sums in the PEs,
    # every fold its own block. Only accumulating folds can meet accumulator port conflicts.
    if df == "os":
        dense_blocks, live_blocks = [1] * folds, [1] * live
    else:
        dense_blocks = [active.shape[0]] * active.shape[1]
        live_blocks = [int(x) for x in active.sum(axis=0)]
    vec = _int64_vector()
    dense = timing.cpp.gemm_blocks(vec(dense_blocks), T)
    zero_a, zero_b = not a.any(), not b.any()
    sparse = timing.cpp.gemm_blocks(vec(live_blocks), T)
    return SparseGemmTiming(
        latency=int(sparse.latency), occupancy=int(sparse.occupancy),
        dense_latency=int(dense.latency), dense_occupancy=int(dense.occupancy),
        folds_total=folds, folds_skipped=folds - live,
        blocks_a=int(blk_a.size), zero_blocks_a=int(blk_a.size - blk_a.sum()),
        blocks_b=int(blk_b.size), zero_blocks_b=int(blk_b.size - blk_b.sum()),
        tile_skipped=bool(zero_a or zero_b), skip_movin_a=bool(zero_a), skip_movin_b=bool(zero_b))
