"""Interconnect conformance kit run against the booksim NoC: an 8x8 mesh, PyTorchSim's fly crossbar, a torus."""
from pathlib import Path

import npusim.testing
from npusim.testing.noc import InterconnectConformance

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "noc"


class TestBookSimMesh(InterconnectConformance):
    def make_component(self):
        return npusim.testing.build_component("noc", "booksim", machine="small-8x8",
                                              params={"config_path": str(CONFIGS / "mesh88.icnt")})


class TestBookSimFlyCrossbar(InterconnectConformance):
    def make_component(self):
        return npusim.testing.build_component("noc", "booksim", machine="tpuv3",
                                              params={"config_path": str(CONFIGS / "fly_c16_m16.icnt"),
                                                      "latency_cycles": 2})


class TestBookSimTorusSmallQueue(InterconnectConformance):
    def make_component(self):
        return npusim.testing.build_component("noc", "booksim", machine="small-8x8",
                                              params={"config_path": str(CONFIGS / "torus44.icnt"),
                                                      "injection_queue_flits": 4})


class TestBookSimCMeshSpeculativeHold(InterconnectConformance):
    def make_component(self):
        return npusim.testing.build_component("noc", "booksim", machine="small-8x8",
                                              params={"config_path": str(CONFIGS / "mesh88.icnt"),
                                                      "params": {"topology": "cmesh", "k": 4, "c": 4, "xr": 2,
                                                                 "yr": 2, "routing_function": "dor_no_express",
                                                                 "speculative": 1, "hold_switch_for_packet": 1}})
