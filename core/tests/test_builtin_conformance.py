"""The conformance kit run against the kernel's builtin components."""
from npusim.testing import build_component
from npusim.testing.memory import MemoryDeviceConformance
from npusim.testing.noc import InterconnectConformance
from npusim.testing.timing import ComputeTimingConformance


class TestSimpleDram(MemoryDeviceConformance):
    def make_component(self):
        return build_component("dram", "simple", "small-8x8")


class TestSimpleNoc(InterconnectConformance):
    def make_component(self):
        return build_component("noc", "simple", "small-8x8")


class TestAnalyticCore(ComputeTimingConformance):
    def make_component(self):
        return build_component("core", "analytic", "small-8x8")
