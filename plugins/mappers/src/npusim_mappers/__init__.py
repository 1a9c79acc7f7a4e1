"""npusim-mappers: heuristic, autotune and external tiling strategies plus the mapping checker."""
from npusim_mappers.validate import MappingInfo, check_mapping, check_tog_coverage

__all__ = ["MappingInfo", "check_mapping", "check_tog_coverage"]
