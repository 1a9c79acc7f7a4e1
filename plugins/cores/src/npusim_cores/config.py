"""Typed parameters of the "systolic" compute-timing component (every field documented with a unit)."""
from __future__ import annotations

import attrs

from npusim.config.fields import param
from npusim.errors import ConfigError
from npusim.tog.ops import VEC_OPS

# Per op class (order = npusim::VecOp = npusim.tog.ops.VEC_OPS): cycles per datapath beat.
# ALU/FMA/compare/copy/reductions: fully pipelined, 1 beat per cycle (Ara lanes, Perotti et al. 2022,
# each lane a 64-bit FPnew FPU). div/sqrt: FPnew's iterative DIVSQRT block, ~8 cycles per fp32 result
# pair (Mach et al., FPnew, IEEE TVLSI 2021). exp/log/tanh/erf/sigmoid have no RVV instruction; they
# compile to range reduction + polynomial sequences of ~8-12 FP ops per element (SLEEF/glibc vector
# expf/logf/tanhf/erff), modeled as one macro-op costing that many beats. transpose: vrgather/slide
# permutation unit at half rate (Ara's SLDU moves 64 bits per lane per cycle, 2 passes for a transpose).
DEFAULT_OP_II = {"add": 1, "fma": 1, "cmp": 1, "div": 8, "sqrt": 8, "exp": 8, "log": 10, "tanh": 10,
                 "erf": 12, "sigmoid": 10, "reduce_sum": 1, "reduce_max": 1, "transpose": 2, "copy": 1}
# Result latency after the last beat (pipeline depth). FPnew fp32 ADDMUL/FMA: 3-4 stages; NONCOMP
# (compare/select) and CONV (copy/cast): 1-2 stages; DIVSQRT: 11 cycles fp32; macro-op transcendentals:
# polynomial depth x FMA latency; permutations: 4 cycles through Ara's SLDU.
DEFAULT_OP_LATENCY = {"add": 3, "fma": 4, "cmp": 2, "div": 11, "sqrt": 11, "exp": 24, "log": 28, "tanh": 28,
                      "erf": 32, "sigmoid": 28, "reduce_sum": 3, "reduce_max": 2, "transpose": 4, "copy": 1}


def _check_ops(instance, attribute, value):
    unknown = sorted(set(value) - set(VEC_OPS))
    if unknown:
        raise ConfigError(f"timing.{attribute.name}: unknown op class {unknown[0]!r} (valid: {', '.join(VEC_OPS)})")
    bad = [k for k, v in value.items() if int(v) < (1 if attribute.name == "vec_op_ii" else 0)]
    if bad:
        raise ConfigError(f"timing.{attribute.name}.{bad[0]}: must be >= {1 if attribute.name == 'vec_op_ii' else 0}")


def _positive(instance, attribute, value):
    if value < 1:
        raise ConfigError(f"timing.{attribute.name}: must be >= 1, got {value}")


@attrs.define
class SystolicCoreConfig:
    """Systolic arrays (ws/os/is, SCALE-Sim v3 exact) + RISC-V-V-style vector unit, TLS or ILS."""

    dataflow: str = param("ws", "systolic dataflow: weight-, output- or input-stationary (SCALE-Sim v3 mapping)",
                          "choice", choices=("ws", "os", "is"))
    preload_overlap: bool = param(True, "overlap the next fold's stationary-operand preload (os: result drain) "
                                  "with the current fold (double-buffered PEs, TPUv1 ISCA'17); False = SCALE-Sim's "
                                  "back-to-back folds", "flag")
    acc_single_ported: bool = param(False, "accumulator SRAM with one shared port (Gemmini acc_singleported): a fold "
                                    "accumulating onto earlier partial sums does a read and a write per output row "
                                    "on it, 2 cycles per row; False = one read + one write port (Gemmini default, "
                                    "TPUv1 accumulators), 1 row per cycle. Modelled as a port hazard in ILS and "
                                    "in the TLS closed form", "flag")
    vec_datapath_bits: int = param(64, "vector datapath width per lane per cycle (Ara: one 64-bit FPU per lane)",
                                   "bits", validator=_positive)
    vec_op_ii: dict[str, int] = param(DEFAULT_OP_II, "cycles per datapath beat by op class (inverse throughput); "
                                      "keys: " + ", ".join(VEC_OPS) + "; missing keys keep their defaults",
                                      "cycles/beat", validator=_check_ops)
    vec_op_latency: dict[str, int] = param(DEFAULT_OP_LATENCY, "result latency after the last beat by op class; "
                                           "keys as vec_op_ii", "cycles", validator=_check_ops)
    vec_issue_width: int = param(1, "vector instructions issued per cycle (in-order single-issue, Ara dispatcher)",
                                 "instructions/cycle", validator=_positive)
    vec_registers: int = param(32, "architectural vector registers (RISC-V V: 32)", "registers",
                               validator=_positive)
    spad_read_ports: int = param(2, "scratchpad read ports per lane (vle per cycle)", "ports", validator=_positive)
    spad_write_ports: int = param(1, "scratchpad write ports per lane (vse per cycle)", "ports",
                                  validator=_positive)
    spad_port_bits: int = param(256, "scratchpad port width per lane (one VLEN register per access)", "bits",
                                validator=_positive)
    spad_read_latency: int = param(2, "scratchpad read latency (1-cycle SRAM + 1 pipeline register)", "cycles")
    spad_write_latency: int = param(1, "scratchpad write latency", "cycles")
    sparsity: bool = param(False, "data-dependent GEMM timing (PyTorchSim zero-tile skipping): with operand data "
                           "from functional execution, all-zero DMA tiles of A or B skip their MOVIN and the "
                           "dependent matmul, and array folds with an all-zero operand block are not issued; "
                           "False = timing independent of the data", "flag")
    tile_db: bool = param(True, "persist tile latencies in the on-disk tile-latency database (False = "
                          "in-memory cache only)", "flag")
    tile_db_path: str = param("", "tile-latency database directory ('' = $NPUSIM_CACHE_DIR/tiledb or "
                              "~/.cache/npusim/tiledb); relative paths resolve against the config file", "path")

    def op_table(self, which: str) -> list[int]:
        """Per-VecOp list (index = npusim::VecOp) of vec_op_ii or vec_op_latency, defaults filled in."""
        base = DEFAULT_OP_II if which == "ii" else DEFAULT_OP_LATENCY
        over = self.vec_op_ii if which == "ii" else self.vec_op_latency
        return [int(over.get(op, base[op])) for op in VEC_OPS]
