"""Registry and plugin manager: entry-point discovery, duplicate rejection, lazy resolution."""
import attrs
import pytest

from npusim.errors import RegistryError
from npusim.hookspecs import hookimpl
from npusim.plugins import make_plugins
from npusim.registry import Registry


@attrs.define
class _Cfg:
    x: int = 1


def test_builtins_registered_with_distribution():
    p = make_plugins()
    spec = p.registry.get("dram", "simple")
    assert spec.dist == "npusim-core"
    assert {"npusim-core", "npusim-cores", "npusim-dram", "npusim-noc", "npusim-cache", "npusim-mappers",
            "npusim-frontends"} <= {i.dist for i in p.infos}


def test_duplicate_names_both_distributions():
    class Dup:
        __name__ = "thirdparty"

        @staticmethod
        @hookimpl
        def npusim_register_dram(registry):
            registry.register("simple", "x:y", _Cfg, "dup")

    with pytest.raises(RegistryError, match="registered twice: by npusim-core and by thirdparty"):
        make_plugins(extra=[Dup()])


def test_lazy_resolution_and_unknown():
    r = Registry()
    r.current_dist = "t"
    r.kind("core").register("lazy", "npusim.builtin.components:AnalyticCore", _Cfg, "lazy one")
    spec = r.get("core", "lazy")
    assert isinstance(spec.impl, str)
    assert spec.load().__name__ == "AnalyticCore"
    with pytest.raises(RegistryError, match="did you mean 'lazy'"):
        r.get("core", "lazyy")
    with pytest.raises(RegistryError, match="unknown component kind"):
        r.kind("gpu")


def test_one_plugin_manager_per_call():
    a, b = make_plugins(), make_plugins()
    assert a.pm is not b.pm and a.registry is not b.registry
