"""The kit's mapper conformance tests (coverage, fit, determinism) for all five strategies."""
from __future__ import annotations

import functools
import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from mapper_helpers import make
from npusim.config import load_config
from npusim.kernels import KernelSpec, Mapping
from npusim.testing.mapper import MapperConformance
from npusim_mappers.external import write_mapping_file

# npusim.testing.strategies.awkward_sizes()
AWKWARD = [1, 2, 3, 7, 13, 31, 64, 127, 128, 129, 255, 257, 429, 1000, 4071]


def _own_tests(cls):
    """Re-wrap the kit's @given tests per class: hypothesis binds a @given method to one executor class
    (HealthCheck.differing_executors), so five subclasses in one process need their own copies."""
    for name in dir(MapperConformance):
        kit_test = getattr(MapperConformance, name)
        if not (name.startswith("test_") and hasattr(kit_test, "hypothesis")):
            continue
        body = kit_test.hypothesis.inner_test

        @functools.wraps(body)
        def test(self, *args, _body=body, **kwargs):
            return _body(self, *args, **kwargs)

        setattr(cls, name, settings(deadline=None)(given(**kit_test.hypothesis._given_kwargs)(test)))
    return cls


@functools.cache
def _mapping_file(machine_name: str) -> str:
    """A PyTorchSim mapping file listing every GEMM the kit can draw: array-sized (8) tiles, clipped."""
    kernels = [KernelSpec("gemm", {"M": m, "N": n, "K": k}) for m, n, k in itertools.product(AWKWARD, AWKWARD, AWKWARD)]
    side = load_config(machine_name).core.array_rows
    pairs = [(k, Mapping({d: min(v, side) for d, v in k.dims.items()}, ("M", "N", "K"))) for k in kernels]
    path = Path(tempfile.mkdtemp(prefix="npusim-mappers-")) / "all.json"
    write_mapping_file(str(path), pairs)
    write_mapping_file(str(path.with_name("few.json")), pairs[::50])  # the rest falls back
    return str(path)


@_own_tests
class TestHeuristic(MapperConformance):
    def make_mapper(self, machine):
        return make("heuristic", machine)


@_own_tests
class TestAutotune(MapperConformance):
    def make_mapper(self, machine):
        return make("autotune", machine, simulate="model", max_candidates=400)


@_own_tests
class TestExternal(MapperConformance):
    def make_mapper(self, machine):
        return make("external", machine, mapping_file=_mapping_file(self.machine_name))


@_own_tests
class TestExternalThenHeuristic(MapperConformance):
    def make_mapper(self, machine):
        return make("external-then-heuristic", machine,
                    mapping_file=str(Path(_mapping_file(self.machine_name)).with_name("few.json")))


@_own_tests
class TestExternalThenAutotune(MapperConformance):
    def make_mapper(self, machine):
        return make("external-then-autotune", machine, simulate="model", max_candidates=400,
                    mapping_file=_mapping_file(self.machine_name))
