"""The sectored L2 (PyTorchSim's tpuv4 cache string) passes the kernel's CacheDevice conformance kit.

Only one subclass: the kit's @given methods are shared by every subclass and hypothesis rejects one test
function run on several classes (HealthCheck.differing_executors); test_timing.py runs the same
invariants over the other cache strings.
"""
from npusim.testing import build_component
from npusim.testing.cache import CacheConformance

PYTORCHSIM = "S:64:128:512,32,L:B:m:W:L,A:192:4,32:0,32"  # PyTorchSim tpuv4 l2d_config


class TestSectoredPyTorchSim(CacheConformance):
    def make_component(self):
        return build_component("cache", "sectored", machine="small-8x8", params={"config": PYTORCHSIM})
