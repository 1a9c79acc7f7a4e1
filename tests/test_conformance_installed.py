"""The conformance kit run against every registered component of every installed plugin.

Each registered DRAM, NoC, L2 cache, compute-timing model and mapper gets a test class built from
its kind's kit base class, with its default parameters on a preset machine. The absent cache
("none", no C++ object) is the only component without a device to test.
"""
from npusim.plugins import make_plugins
from npusim.testing import build_component
from npusim.testing.cache import CacheConformance
from npusim.testing.mapper import MapperConformance
from npusim.testing.memory import MemoryDeviceConformance
from npusim.testing.noc import InterconnectConformance
from npusim.testing.timing import ComputeTimingConformance

KITS = {"dram": MemoryDeviceConformance, "noc": InterconnectConformance, "cache": CacheConformance,
        "core": ComputeTimingConformance}
MACHINE = "small-8x8"
NOT_DEVICES = {("cache", "none")}


def _make_device_class(kind, name):
    def make_component(self):
        return build_component(kind, name, MACHINE)
    return type(f"Test_{kind}_{name}".replace("-", "_"), (KITS[kind],), {"make_component": make_component})


def _make_mapper_class(name):
    def make_mapper(self, machine):
        return _PLUGINS.registry.get("mapper", name).load()(_default_params(name), machine, None)
    return type(f"Test_mapper_{name}".replace("-", "_"), (MapperConformance,), {"make_mapper": make_mapper})


def _default_params(name):
    spec = _PLUGINS.registry.get("mapper", name)
    params = spec.config_cls()
    if hasattr(params, "simulate"):  # rank by the cost model only: the kit checks coverage, not speed
        import attrs

        params = attrs.evolve(params, simulate="model")
    return params


_PLUGINS = make_plugins()
for _kind in KITS:
    for _name in _PLUGINS.registry.names(_kind):
        if (_kind, _name) not in NOT_DEVICES:
            _cls = _make_device_class(_kind, _name)
            globals()[_cls.__name__] = _cls
for _name in _PLUGINS.registry.names("mapper"):
    if not _name.startswith("external"):  # external mappers need a mapping file: tested in npusim-mappers
        _cls = _make_mapper_class(_name)
        globals()[_cls.__name__] = _cls


def test_every_kind_has_components():
    for kind in ("dram", "noc", "cache", "core", "mapper"):
        assert _PLUGINS.registry.names(kind), kind
