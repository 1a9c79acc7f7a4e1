"""Workload specs (`gemm:M,N,K`, model names, TOG files) -> simulation, via the frontend when installed."""
from __future__ import annotations

import re
from pathlib import Path

from npusim.errors import WorkloadError
from npusim.kernels import KernelSpec

SPEC_ARGS = {"gemm": 3, "bmm": 4, "conv": 8, "attention": 3, "layernorm": 2, "softmax": 2, "encoder": 3}
SPEC_FORMS = {"gemm": "gemm:M,N,K", "bmm": "bmm:B,M,N,K", "conv": "conv:B,H,W,Cin,Cout,K,stride,pad",
              "attention": "attention:HEADS,SEQ,DIM", "layernorm": "layernorm:ROWS,COLS",
              "softmax": "softmax:ROWS,COLS", "encoder": "encoder:HIDDEN,HEADS,SEQ"}
SPEC_HELP = " | ".join([*SPEC_FORMS.values(), "a model-zoo name", "a TOG .json/.onnx"])


def parse_spec(spec: str) -> tuple[str, list[int]] | None:
    """('gemm', [M,N,K]) for a micro-benchmark spec, None for anything else; WorkloadError if malformed."""
    m = re.fullmatch(r"([a-z_]+):([0-9, ]+)", spec.strip())
    if not m:
        if spec.split(":")[0] in SPEC_ARGS:
            raise WorkloadError(f"workload {spec!r}: expected {SPEC_FORMS[spec.split(':')[0]]}")
        return None
    kind, args = m.group(1), [int(x) for x in m.group(2).replace(" ", "").split(",") if x]
    if kind not in SPEC_ARGS:
        raise WorkloadError(f"unknown workload kind {kind!r} (valid: {SPEC_HELP})")
    if len(args) != SPEC_ARGS[kind] or any(a <= 0 for a in args[:2]):
        raise WorkloadError(f"workload {spec!r}: {kind} takes {SPEC_ARGS[kind]} positive integers ({SPEC_FORMS[kind]})")
    return kind, args


def kernel_template(kind: str, args: list[int], dtype: str) -> list[KernelSpec]:
    """Kernel-side templates for GEMM/BMM specs (used when no frontend is installed)."""
    if kind == "gemm":
        m, n, k = args
        return [KernelSpec("gemm", {"M": m, "N": n, "K": k}, dtype, name=f"gemm_{m}x{n}x{k}")]
    if kind == "bmm":
        b, m, n, k = args
        return [KernelSpec("bmm", {"B": b, "M": m, "N": n, "K": k}, dtype, name=f"bmm_{b}x{m}x{n}x{k}")]
    raise WorkloadError(f"workload kind {kind!r} needs the PyTorch frontend (pip install npusim-frontends)")


def run_workload(spec: str, machine, plugins, trace: bool = False):
    """Simulate workload `spec` on `machine`; returns a SimResult."""
    path = Path(spec)
    if spec.endswith(".json") and path.is_file():
        from npusim.engine.simulator import Simulator
        from npusim.tog import load_tog

        return Simulator(machine, plugins, trace=trace).run([load_tog(path)])
    if spec.endswith(".onnx"):
        from npusim.engine.simulator import Simulator
        from npusim.tog.onnx_io import load_onnx_tog

        if not path.is_file():
            raise WorkloadError(f"TOG file not found: {spec}")
        return Simulator(machine, plugins, trace=trace).run([load_onnx_tog(path)])
    try:
        import npusim_frontends

        runner = getattr(npusim_frontends, "run_workload", None)
    except ImportError:
        runner = None
    if runner is not None:
        return runner(spec, machine, plugins=plugins, trace=trace)
    parsed = parse_spec(spec)
    if parsed is None:
        raise WorkloadError(f"unknown workload {spec!r} (valid: {SPEC_HELP})")
    from npusim.driver import run_kernels

    return run_kernels(kernel_template(*parsed, machine.sim.dtype), machine, plugins, trace=trace)
