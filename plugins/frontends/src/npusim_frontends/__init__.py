"""npusim-frontends: torch.compile backend "npusim", functional execution, model zoo, experimental npu device."""
from __future__ import annotations


def __getattr__(name: str):
    # Lazy: importing the package must not import torch (the npusim plugin loader imports it).
    if name in ("compile", "run_workload", "Compiled"):
        from npusim_frontends import frontend

        return getattr(frontend, name)
    if name == "device":
        from npusim_frontends.npu_device import device

        return device
    if name == "workloads":
        import importlib

        return importlib.import_module("npusim_frontends.workloads")
    raise AttributeError(f"module 'npusim_frontends' has no attribute {name!r}")
