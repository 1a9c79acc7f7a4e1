"""The kernel's MemoryDevice conformance kit, run against the cycle-level DRAMs."""
from __future__ import annotations

import npusim.testing
from npusim.testing.memory import MemoryDeviceConformance


class TestHbm2(MemoryDeviceConformance):
    def make_component(self):
        return npusim.testing.build_component("dram", "hbm2", machine="tpuv3", params={"freq_mhz": 940})


class TestHbm2ClosedFcfs(MemoryDeviceConformance):
    def make_component(self):
        return npusim.testing.build_component("dram", "hbm2", machine="tpuv3", params={
            "channels": 4, "scheduler": "fcfs", "row_policy": "closed", "refresh": "per_bank",
            "address_mapping": "MOP4CLXOR", "read_queue_size": 4, "write_queue_size": 4})


class TestDdr4(MemoryDeviceConformance):
    def make_component(self):
        return npusim.testing.build_component("dram", "ddr4", machine="small-8x8", params={"channels": 2})
