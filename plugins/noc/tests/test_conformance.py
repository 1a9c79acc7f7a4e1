"""Interconnect conformance kit run against the booksim NoC: an 8x8 mesh, PyTorchSim's fly crossbar, a torus."""
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import npusim.testing
from npusim.testing.noc import InterconnectConformance

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "noc"


def own_tests(cls):
    """Give `cls` its own hypothesis wrappers of the kit's tests (hypothesis rejects one @given test
    shared by several classes: HealthCheck.differing_executors)."""
    for name in dir(InterconnectConformance):
        fn = getattr(InterconnectConformance, name)
        if name.startswith("test_") and hasattr(fn, "hypothesis"):
            setattr(cls, name, given(st.data())(fn.hypothesis.inner_test))
    return cls


@own_tests
class TestBookSimMesh(InterconnectConformance):
    def make_component(self):
        return npusim.testing.build_component("noc", "booksim", machine="small-8x8",
                                              params={"config_path": str(CONFIGS / "mesh88.icnt")})


@own_tests
class TestBookSimFlyCrossbar(InterconnectConformance):
    def make_component(self):
        return npusim.testing.build_component("noc", "booksim", machine="tpuv3",
                                              params={"config_path": str(CONFIGS / "fly_c16_m16.icnt"),
                                                      "latency_cycles": 2})


@own_tests
class TestBookSimTorusSmallQueue(InterconnectConformance):
    def make_component(self):
        return npusim.testing.build_component("noc", "booksim", machine="small-8x8",
                                              params={"config_path": str(CONFIGS / "torus44.icnt"),
                                                      "injection_queue_flits": 4})
