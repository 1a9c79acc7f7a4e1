"""Entry-point plugin registering the builtin reference components."""
from npusim.builtin import components as c
from npusim.hookspecs import hookimpl


@hookimpl
def npusim_register_dram(registry):
    registry.register("simple", c.SimpleDram, c.SimpleDramConfig, c.SimpleDram.__doc__)


@hookimpl
def npusim_register_noc(registry):
    registry.register("simple", c.SimpleNoc, c.SimpleNocConfig, c.SimpleNoc.__doc__)


@hookimpl
def npusim_register_cache(registry):
    registry.register("none", c.NoCache, c.NoCacheConfig, c.NoCache.__doc__)


@hookimpl
def npusim_register_core(registry):
    registry.register("analytic", c.AnalyticCore, c.AnalyticCoreConfig, c.AnalyticCore.__doc__)


@hookimpl
def npusim_register_mapper(registry):
    from npusim.builtin.fixed_mapper import FixedMapper, FixedMapperConfig

    registry.register("fixed", FixedMapper, FixedMapperConfig, FixedMapper.__doc__)
