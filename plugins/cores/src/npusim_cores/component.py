"""The registered "systolic" compute-timing component: builds the C++ SystolicCore and its tile database."""
from __future__ import annotations

import json
import os
import weakref

from npusim.errors import ConfigError
from npusim.interfaces.context import BuildContext
from npusim.tog.ops import VEC_OPS

from npusim_cores import build
from npusim_cores.config import SystolicCoreConfig
from npusim_cores.tiledb import MODEL_VERSION, TileDb, default_dir, entries_from_cpp, entries_to_cpp

DATAFLOWS = ("ws", "os", "is")


def ils_mode(machine_tls: bool = True) -> bool:
    """True for instruction-level simulation: env NPUSIM_TLS_MODE=0 (env wins) or sim.tls = False."""
    env = os.environ.get("NPUSIM_TLS_MODE")
    if env is not None and env.strip() != "":
        if env.strip() not in ("0", "1"):
            raise ConfigError(f"NPUSIM_TLS_MODE: {env!r} is not one of 0 (ILS), 1 (TLS)")
        return env.strip() == "0"
    return not machine_tls


def make_cpp(config: SystolicCoreConfig, rows: int, cols: int, lanes: int, vlen_bits: int, ils: bool):
    """Build the C++ npusim_cores::SystolicCore for an array/vector geometry (no machine needed)."""
    ns = build.load()
    if rows < 1 or cols < 1:
        raise ConfigError(f"core.array_rows/array_cols: must be >= 1, got {rows}x{cols}")
    arr = ns.ArrayParams()
    arr.rows, arr.cols = int(rows), int(cols)
    arr.dataflow = DATAFLOWS.index(config.dataflow)
    arr.overlap = int(bool(config.preload_overlap))
    arr.acc_rmw_cycles = 2 if config.acc_single_ported else 1
    vec = ns.VectorParams()
    vec.lanes, vec.vlen_bits = int(lanes), int(vlen_bits)
    vec.datapath_bits = config.vec_datapath_bits
    vec.spad_port_bits = config.spad_port_bits
    vec.spad_read_ports, vec.spad_write_ports = config.spad_read_ports, config.spad_write_ports
    vec.spad_read_latency, vec.spad_write_latency = config.spad_read_latency, config.spad_write_latency
    vec.issue_width, vec.vregs = config.vec_issue_width, config.vec_registers
    import cppyy

    vec.op_ii = cppyy.gbl.std.vector["int64_t"](config.op_table("ii"))
    vec.op_latency = cppyy.gbl.std.vector["int64_t"](config.op_table("latency"))
    return ns.SystolicCore(arr, vec, int(bool(ils)))


def hw_params(config: SystolicCoreConfig, rows: int, cols: int, lanes: int, vlen_bits: int, ils: bool) -> dict:
    """Everything that determines a tile latency (the database key besides op class/shape/dtype)."""
    return {"rows": rows, "cols": cols, "lanes": lanes, "vlen_bits": vlen_bits, "mode": "ils" if ils else "tls",
            "dataflow": config.dataflow, "preload_overlap": config.preload_overlap,
            "acc_single_ported": config.acc_single_ported,
            "vec_datapath_bits": config.vec_datapath_bits, "vec_op_ii": config.op_table("ii"),
            "vec_op_latency": config.op_table("latency"), "vec_issue_width": config.vec_issue_width,
            "vec_registers": config.vec_registers, "spad_read_ports": config.spad_read_ports,
            "spad_write_ports": config.spad_write_ports, "spad_port_bits": config.spad_port_bits,
            "spad_read_latency": config.spad_read_latency, "spad_write_latency": config.spad_write_latency}


class Standalone:
    """A SystolicCore without a machine (CLI, sparsity studies, tests): same `cpp`, `config`, rows/cols."""

    def __init__(self, config: SystolicCoreConfig, rows: int = 128, cols: int = 128, lanes: int = 128,
                 vlen_bits: int = 256, ils: bool = False):
        self.config, self.rows, self.cols, self.ils = config, rows, cols, ils
        self.cpp = make_cpp(config, rows, cols, lanes, vlen_bits, ils)

    def stats(self) -> dict:
        """C++ counters."""
        return json.loads(str(self.cpp.stats_json()))


def _flush(cpp, db) -> int:
    """Merge the latencies `cpp` computed since its last export into `db`."""
    return db.merge(entries_from_cpp(str(cpp.export_entries(True)), VEC_OPS))


def _flush_quietly(cpp, db) -> None:
    try:
        _flush(cpp, db)
    except OSError:  # database directory gone at interpreter exit: latencies are only a cache
        pass


class SystolicCore:
    """Systolic arrays (ws/os/is, SCALE-Sim v3 exact without overlap) and a RISC-V-V vector unit; TLS or ILS."""

    def __init__(self, config: SystolicCoreConfig, ctx: BuildContext):
        core = ctx.machine.core
        self.config = config
        self.ils = ils_mode(ctx.machine.sim.tls)
        geo = (core.array_rows, core.array_cols, core.vector_lanes, core.vlen_bits)
        self.rows, self.cols = core.array_rows, core.array_cols
        self.cpp = make_cpp(config, *geo, self.ils)
        self.db = None
        if config.tile_db:
            directory = config.tile_db_path or default_dir()
            self.db = TileDb(directory, hw_params(config, *geo, self.ils))
            self.cpp.import_entries(entries_to_cpp(self.db.load(), VEC_OPS))
            # Flush when the component is collected or at interpreter exit, whichever comes first.
            weakref.finalize(self, _flush_quietly, self.cpp, self.db)

    def flush(self) -> int:
        """Persist latencies computed since the last flush; returns how many were written."""
        if self.db is None:
            return 0
        return _flush(self.cpp, self.db)

    def stats(self) -> dict:
        """C++ counters (queries, cache hits/misses, busy cycles, ILS instructions) plus database info."""
        self.flush()
        out = json.loads(str(self.cpp.stats_json()))
        out["model_version"] = MODEL_VERSION
        out["tile_db"] = str(self.db.path) if self.db is not None else "off"
        return out
