"""Test helpers: cached preset machines and timing components, mapper factory, calibration kernels."""
from __future__ import annotations

from npusim.config import load_config
from npusim.kernels import KernelSpec
from npusim_mappers.build import build_mapper, build_timing

_MACHINES: dict = {}
_TIMING: dict = {}


def machine(name: str, **overrides):
    """Cached preset machine (overrides: dotted keys)."""
    key = (name, tuple(sorted(overrides.items())))
    if key not in _MACHINES:
        _MACHINES[key] = load_config(name, overrides=overrides or None)
    return _MACHINES[key]


def timing(m):
    """Cached timing component of machine `m`."""
    if id(m) not in _TIMING:
        _TIMING[id(m)] = build_timing(m, plugins())
    return _TIMING[id(m)]


def plugins():
    """One PluginManager for the whole test session (loading entry points costs ~0.1 s)."""
    if "pm" not in _TIMING:
        from npusim.plugins import make_plugins

        _TIMING["pm"] = make_plugins()
    return _TIMING["pm"]


def make(name: str, m, cache_dir: str = "", **params):
    """Mapper `name` for machine `m` with the machine's own timing component."""
    return build_mapper(name, m, {"cache_dir": cache_dir, **params}, timing=timing(m), plugins=plugins())


def conv(n, hw, c, o, k=3, stride=1, pad=1, groups=1, dilation=1):
    """NHWC conv kernel spec."""
    return KernelSpec("conv", {"N": n, "H": hw, "W": hw, "C": c, "O": o, "KH": k, "KW": k},
                      params={"stride": stride, "pad": pad, "groups": groups, "dilation": dilation})


# DESIGN.md TPUv3 calibration kernels.
CALIB_GEMMS = [KernelSpec("gemm", {"M": s, "N": s, "K": s}) for s in (256, 512, 1024, 2048)]
CALIB_CONVS = [conv(64, hw, c, c) for hw, c in ((56, 64), (28, 128), (14, 256), (7, 512))]
