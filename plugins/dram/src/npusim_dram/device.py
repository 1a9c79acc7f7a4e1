"""Python factories of the cycle-level DRAM: build the C++ DramDevice from a resolved DramConfig."""
from __future__ import annotations

import json
from pathlib import Path

from npusim.cpp import load_cpp
from npusim.interfaces.context import BuildContext
from npusim_dram.config import DramConfig, resolve

CPP = Path(__file__).resolve().parent / "cpp"


def load_library() -> None:
    """Compile (once) and load the DRAM C++ sources."""
    load_cpp("npusim_dram", [CPP / "dram_device.cpp", CPP / "dram_replay.cpp", CPP / "trace_parse.cpp"],
             [CPP / "dram_spec.hpp", CPP / "acc_queue.hpp", CPP / "pending_list.hpp", CPP / "dram_device.hpp",
              CPP / "dram_replay.hpp", CPP / "trace_parse.hpp"], [CPP],
             extra_flags=["-O3", "-fno-semantic-interposition"])  # direct calls and inlining inside the -fPIC library


def make_spec(values: dict):
    """A C++ npusim::DramSpec with `values` assigned."""
    load_library()
    import cppyy

    spec = cppyy.gbl.npusim.DramSpec()
    for k, v in values.items():
        setattr(spec, k, v if isinstance(v, float) else int(v))
    return spec


class CycleDram:
    """Cycle-level DRAM controller + device of one JEDEC standard (subclasses fix `standard`)."""

    standard = "hbm2"

    def __init__(self, config: DramConfig, ctx: BuildContext | None = None):
        import cppyy

        self.config = config
        self.resolved = resolve(config, self.standard)
        self.spec = make_spec(self.resolved["spec"])
        self.cpp = cppyy.gbl.npusim.DramDevice(self.spec)
        if ctx is not None:
            ctx.num_channels = config.channels
            ctx.dram_freq_mhz = 1e6 / self.resolved["spec"]["tck_ps"]

    def stats(self) -> dict:
        """Per-channel and total statistics, plus the resolved standard and presets."""
        out = json.loads(str(self.cpp.stats_json()))
        out.update(standard=self.resolved["standard"], org_preset=self.resolved["org_preset"],
                   timing_preset=self.resolved["timing_preset"])
        return out

    def command_log(self) -> list[tuple[int, ...]]:
        """Issued commands as (cycle, cmd, channel, pc, rank, bankgroup, bank, row) (needs command_log=True)."""
        flat = self.cpp.command_log()
        vals = [int(v) for v in flat]
        return [tuple(vals[i:i + 8]) for i in range(0, len(vals), 8)]


class Hbm2Dram(CycleDram):
    """HBM2 (JESD235, pseudo-channel mode), Ramulator 2 presets HBM2_*."""

    standard = "hbm2"


class Hbm3Dram(CycleDram):
    """HBM3 (JESD238), Ramulator 2 presets HBM3_*."""

    standard = "hbm3"


class Ddr4Dram(CycleDram):
    """DDR4 (JESD79-4), Ramulator 2 presets DDR4_*."""

    standard = "ddr4"


class Lpddr5Dram(CycleDram):
    """LPDDR5 (JESD209-5), Ramulator 2 preset LPDDR5_6400."""

    standard = "lpddr5"
