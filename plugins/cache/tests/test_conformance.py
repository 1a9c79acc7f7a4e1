"""The sectored L2 passes the kernel's CacheDevice conformance kit with both reference cache strings."""
from npusim.testing import build_component
from npusim.testing.cache import CacheConformance

PYTORCHSIM = "S:64:128:512,32,L:B:m:W:L,A:192:4,32:0,32"  # PyTorchSim tpuv4 l2d_config
ACCELSIM_3070 = "S:64:128:16,L:B:m:L:P,A:192:4,32:0,32"   # AccelSim RTX 3070 -gpgpu_cache:dl2


class TestSectoredPyTorchSim(CacheConformance):
    def make_component(self):
        return build_component("cache", "sectored", machine="small-8x8", params={"config": PYTORCHSIM})


class TestSectoredAccelSim(CacheConformance):
    def make_component(self):
        return build_component("cache", "sectored", machine="small-8x8", params={"config": ACCELSIM_3070})
