"""npusim: a plugin-based NPU simulator for PyTorch (kernel: TOG, ISA, registry, config, engine)."""
from __future__ import annotations

__version__ = "0.1.0"


def __getattr__(name: str):
    # Lazy top-level API so `import npusim` stays cheap (torch / cppyy load only when used).
    if name in ("simulate", "Simulator"):
        from npusim.engine import simulator

        return getattr(simulator, name)
    if name == "load_config":
        from npusim.config import load_config

        return load_config
    if name in ("compile", "device"):
        import npusim_frontends

        return getattr(npusim_frontends, name)
    raise AttributeError(f"module 'npusim' has no attribute {name!r}")
