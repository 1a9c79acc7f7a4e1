"""Reference mapper "fixed": array-sized GEMM tiles (shrunk until they fit), whole-row vector tiles."""
from __future__ import annotations

import attrs

from npusim.config.fields import param
from npusim.errors import MappingError
from npusim.kernels import DIM_NAMES, KernelSpec, Mapping
from npusim.tog.ops import DTYPE_BYTES


@attrs.define
class FixedMapperConfig:
    """Reference mapper settings."""

    tile_multiple: int = param(1, "GEMM tiles are this many array sizes along each dimension", "arrays")


class FixedMapper:
    """Deterministic reference mapper (no search): predictable tiles for tests and closed-form checks."""

    def __init__(self, config: FixedMapperConfig, machine, timing=None):
        self.config = config
        self.machine = machine

    def propose(self, kernel: KernelSpec) -> Mapping | None:
        return self.best(kernel)

    def report(self, kernel: KernelSpec, mapping: Mapping, cycles: int) -> None:
        """Nothing to learn: the fixed mapper always returns the same tiles."""

    def best(self, kernel: KernelSpec) -> Mapping:
        if kernel.op not in ("gemm", "bmm"):
            raise MappingError(f"kernel {kernel.name or kernel.op}: the fixed mapper tiles gemm/bmm only; "
                               "use the heuristic mapper (npusim-mappers) for conv/vector kernels")
        core = self.machine.core
        eb = DTYPE_BYTES[kernel.dtype]
        mult = self.config.tile_multiple
        tm = min(kernel.dims["M"], core.array_rows * mult)
        tn = min(kernel.dims["N"], core.array_cols * mult)
        tk = min(kernel.dims["K"], core.array_rows * mult)
        budget = core.spad_bytes // 2  # double buffering
        while (tm * tk + tk * tn + tm * tn) * eb > budget:
            if tk >= max(tm, tn) and tk > 1:
                tk = (tk + 1) // 2
            elif tm >= tn and tm > 1:
                tm = (tm + 1) // 2
            elif tn > 1:
                tn = (tn + 1) // 2
            else:
                break
        tiles = {"M": tm, "N": tn, "K": tk}
        if kernel.op == "bmm":
            tiles["B"] = 1
        order = DIM_NAMES[kernel.op]
        return Mapping(tiles, order, source="fixed")
