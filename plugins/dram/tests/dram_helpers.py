"""Test helpers: build DRAM components with chosen params and address a given bank/row/column."""
from __future__ import annotations

import numpy as np

from npusim_dram.config import DramConfig
from npusim_dram.device import CycleDram, Ddr4Dram, Hbm2Dram, Hbm3Dram, Lpddr5Dram, make_spec

CLASSES = {"hbm2": Hbm2Dram, "hbm3": Hbm3Dram, "ddr4": Ddr4Dram, "lpddr5": Lpddr5Dram}


def make(standard: str = "hbm2", timing: dict | None = None, **params) -> CycleDram:
    """A DRAM component; `timing` overrides resolved timing values (in cycles) before the C++ object is built."""
    import cppyy

    comp = CLASSES[standard](DramConfig(**params))
    if timing:
        comp.resolved["spec"].update(timing)
        comp.spec = make_spec(comp.resolved["spec"])
        comp.cpp = cppyy.gbl.npusim.DramDevice(comp.spec)
    return comp


def addr_of(comp: CycleDram, pc=0, rank=0, bg=0, bank=0, row=0, col=0) -> int:
    """Channel-local byte address with the given fields under RoBaRaCoCh (checked with the device's decoder)."""
    s = comp.resolved["spec"]
    assert comp.config.address_mapping == "RoBaRaCoCh"
    a = row
    for value, size in ((bank, s["banks"]), (bg, s["bankgroups"]), (rank, s["ranks"]), (pc, s["pcs"]),
                        (col, s["columns"])):
        a = a * size + value
    addr = a * s["req_bytes"]
    assert list(comp.cpp.decode(addr)) == [pc, rank, bg, bank, row, col]
    return addr


def run_trace(comp: CycleDram, addrs, writes=None, rate_per_ns: float = 0.0) -> dict:
    """Replay global addresses through the C++ replay loop; summary dict."""
    from npusim_dram.replay import replay

    addrs = np.asarray(addrs, dtype=np.int64)
    writes = np.zeros(len(addrs), dtype=np.int8) if writes is None else np.asarray(writes, dtype=np.int8)
    return replay(comp, addrs, writes, rate_per_ns)
