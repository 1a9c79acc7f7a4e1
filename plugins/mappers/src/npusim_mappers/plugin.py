"""Entry-point plugin of npusim-mappers: registers heuristic, autotune, external and the fallback strategies."""
from npusim.hookspecs import hookimpl

from npusim_mappers.config import MapperConfig


@hookimpl
def npusim_register_mapper(registry):
    registry.register("heuristic", "npusim_mappers.heuristic:HeuristicMapper", MapperConfig,
                      "Gemmini-style largest tile in half the scratchpad, PyTorchSim refinements, shrink fallback")
    registry.register("autotune", "npusim_mappers.autotune:AutotuneMapper", MapperConfig,
                      "cost-model ranking of thousands of tilings, top-k simulated, cached per kernel+machine")
    registry.register("external", "npusim_mappers.external:ExternalMapper", MapperConfig,
                      "PyTorchSim JSON mapping file keyed 'M_N_K' (TILE_M/N/K, SUB_TILE_*)")
    registry.register("external-then-heuristic", "npusim_mappers.fallback:ExternalThenHeuristic", MapperConfig,
                      "external mapping file, heuristic for kernels the file does not list")
    registry.register("external-then-autotune", "npusim_mappers.fallback:ExternalThenAutotune", MapperConfig,
                      "external mapping file, autotune for kernels the file does not list")
