"""`npusim cores ...`: compute-timing queries from the command line (ideal memory)."""
from __future__ import annotations

import click

from npusim.config.schema import CoreConfig
from npusim.errors import ConfigError, WorkloadError
from npusim.tog.ops import DTYPE_BYTES, VEC_OPS

from npusim_cores.config import SystolicCoreConfig


def _parse_mnk(text: str) -> tuple[int, int, int]:
    try:
        m, n, k = (int(x) for x in text.split(","))
    except ValueError:
        raise WorkloadError(f"gemm shape {text!r}: expected M,N,K (three positive integers, e.g. 512,512,512)")
    if min(m, n, k) < 1:
        raise WorkloadError(f"gemm shape {text!r}: M, N and K must be >= 1")
    return m, n, k


@click.group("cores")
def cores():
    """Compute-timing models of npusim-cores (systolic arrays, vector unit)."""


@cores.command("gemm")
@click.argument("shape")
@click.option("--rows", default=128, show_default=True, help="systolic array rows (PEs)")
@click.option("--cols", default=128, show_default=True, help="systolic array columns (PEs)")
@click.option("--dataflow", type=click.Choice(["ws", "os", "is"]), default="ws", show_default=True)
@click.option("--no-overlap", is_flag=True, help="folds back to back (SCALE-Sim v3 convention, exact parity)")
@click.option("--ils", is_flag=True, help="instruction-level simulation instead of the closed form")
@click.option("--acc-single-ported", is_flag=True,
              help="single-ported accumulator: accumulating folds read-modify-write at 2 cycles per row")
def gemm_cmd(shape, rows, cols, dataflow, no_overlap, ils, acc_single_ported):
    """Compute cycles of the whole (folded) GEMM SHAPE=M,N,K on one array with ideal memory."""
    from npusim_cores.component import make_cpp

    m, n, k = _parse_mnk(shape)
    if rows < 1 or cols < 1:
        raise ConfigError(f"--rows/--cols: must be >= 1, got {rows}x{cols}")
    cfg = SystolicCoreConfig(dataflow=dataflow, preload_overlap=not no_overlap, tile_db=False,
                             acc_single_ported=acc_single_ported)
    core = CoreConfig()
    cpp = make_cpp(cfg, rows, cols, core.vector_lanes, core.vlen_bits, ils)
    t = cpp.gemm(m, n, k, 2)
    click.echo(f"gemm M={m} N={n} K={k} on {rows}x{cols} {dataflow} "
               f"({'no overlap' if no_overlap else 'preload overlap'}, {'ILS' if ils else 'TLS'}"
               f"{', single-ported accumulator' if acc_single_ported else ''}): "
               f"{t.latency} cycles (array occupancy {t.occupancy})")


@cores.command("vector")
@click.argument("op", type=click.Choice(list(VEC_OPS)))
@click.argument("elements", type=int)
@click.option("--dtype", type=click.Choice(sorted(DTYPE_BYTES)), default="fp32", show_default=True)
@click.option("--lanes", default=128, show_default=True, help="vector lanes")
@click.option("--vlen", default=256, show_default=True, help="VLEN bits per lane")
@click.option("--ils", is_flag=True, help="instruction-level simulation instead of the closed form")
def vector_cmd(op, elements, dtype, lanes, vlen, ils):
    """Cycles of one vector op over ELEMENTS elements on the vector unit."""
    from npusim_cores.component import make_cpp

    if elements < 0:
        raise WorkloadError(f"elements: must be >= 0, got {elements}")
    cfg = SystolicCoreConfig(tile_db=False)
    cpp = make_cpp(cfg, 128, 128, lanes, vlen, ils)
    t = cpp.vector(VEC_OPS.index(op), elements, DTYPE_BYTES[dtype])
    click.echo(f"{op} x {elements} {dtype} on {lanes} lanes x {vlen} b ({'ILS' if ils else 'TLS'}): "
               f"{t.latency} cycles (unit occupancy {t.occupancy})")
