"""Config shared by the five mapper strategies (PyTorchSim codegen_* keys map onto mapping_file/topk/max_retry)."""
from __future__ import annotations

import attrs
from npusim.config.fields import param


@attrs.define
class MapperConfig:
    """Tiling-strategy settings: external mapping file, autotune top-k and retries, search/cache knobs."""

    mapping_file: str = param("", "PyTorchSim-style JSON mapping file keyed 'M_N_K' with TILE_M/TILE_N/TILE_K "
                              "(codegen_external_mapping_file); '' = none", "path")
    topk: int = param(4, "candidates of the cost-model ranking that are simulated "
                      "(codegen_autotune_template_topk)", "candidates")
    max_retry: int = param(2, "extra candidates simulated in place of ones whose simulation failed "
                           "(codegen_autotune_max_retry)", "candidates")
    simulate: str = param("engine", "autotune: how the top-k are judged when the caller passes no simulate "
                          "function: 'engine' runs npusim's simulator on each, 'model' trusts the cost model",
                          choices=("engine", "model"))
    double_buffer: bool = param(True, "reserve half the scratchpad (per lane and in total) for the next "
                                "tile's DMA (Gemmini / PyTorchSim double buffering)")
    max_aspect: int = param(10, "heuristic: largest allowed ratio between the GEMM N and M tiles "
                            "(PyTorchSim's extreme-aspect-ratio guard)", "ratio")
    max_candidates: int = param(20000, "autotune: cap on candidates ranked by the cost model per kernel",
                                "candidates")
    dram_efficiency: float = param(0.9, "cost model: fraction of peak DRAM bandwidth DMA streams reach (npusim "
                                   "engine, simple DRAM, tpuv3: a 2048x2048 copy streams 410-505 of 512 B/cycle)",
                                   "fraction")
    cache_dir: str = param("~/.cache/npusim/mappings", "autotune result cache directory ('' = no cache)",
                           "path")
