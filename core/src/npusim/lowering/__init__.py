"""Kernel lowering: (KernelSpec, Mapping, machine) -> TOG, one template per op class."""
from __future__ import annotations

import importlib

from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping

# op class -> "module:function(kernel, mapping, machine) -> Tog"
LOWERINGS = {
    "gemm": "npusim.lowering.gemm:lower_gemm",
    "bmm": "npusim.lowering.gemm:lower_gemm",
    "conv": "npusim.lowering.conv:lower_conv",
    "vector": "npusim.lowering.vector:lower_vector",
}


def lower(kernel: KernelSpec, mapping: Mapping, machine):
    """Build the TOG of `kernel` tiled by `mapping` for `machine` (a MachineConfig)."""
    target = LOWERINGS.get(kernel.op)
    if target is None:
        raise MappingError(f"kernel {kernel.name or kernel.op}: no lowering for op class {kernel.op!r} "
                           f"(valid: {', '.join(LOWERINGS)})")
    mod, _, fn = target.partition(":")
    try:
        func = getattr(importlib.import_module(mod), fn)
    except (ImportError, AttributeError) as exc:
        raise MappingError(f"kernel {kernel.name or kernel.op}: lowering {target} unavailable ({exc})") from None
    return func(kernel, mapping, machine)
