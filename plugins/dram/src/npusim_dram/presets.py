"""JEDEC organisation and timing presets per DRAM standard (Ramulator 2 preset names), in DRAM clock cycles."""
from __future__ import annotations

import math

# Timing parameters in tCK. Parameters that JEDEC specifies in nanoseconds are rescaled when the clock is
# overridden (freq_mhz); NCK_PARAMS are specified in clock cycles and kept as they are.
TIMING_KEYS = ("nBL", "nCL", "nCWL", "nRCDRD", "nRCDWR", "nRP", "nRAS", "nRC", "nWR", "nRTP", "nCCDS", "nCCDL",
               "nRRDS", "nRRDL", "nWTRS", "nWTRL", "nFAW", "nRTRS", "nRFC", "nRFCpb", "nREFI", "nREFIpb", "nRREFD")
NCK_PARAMS = {"nBL", "nCCDS", "nCCDL", "nRTRS"}
MAX_PARAMS = ("nREFI", "nREFIpb")  # upper bounds (refresh intervals), rounded down
# Ramulator 2 spellings accepted in YAML timing sections -> our keys
TIMING_ALIASES = {"nRCD": ("nRCDRD", "nRCDWR"), "nRTPS": ("nRTP",), "nRTPL": ("nRTP",), "nCCD": ("nCCDS",),
                  "nRRD": ("nRRDS", "nRRDL"), "nRFCab": ("nRFC",), "nRFCsb": ("nRFCpb",), "nRFCSB": ("nRFCpb",),
                  "nREFISB": ("nREFIpb",), "nRPab": ("nRP",), "nRPpb": ("nRP",), "nPBR2PBR": ("nRREFD",)}


def cycles(ns_or_cycles: float, tck_old: int, tck_new: int) -> int:
    """A duration of n cycles at tck_old expressed in cycles of tck_new (rounded up, JEDEC style)."""
    return max(1, math.ceil(ns_or_cycles * tck_old / tck_new - 0.01))


def rescale(timing: dict, tck_old: int, tck_new: int) -> dict:
    """Timing table converted to another clock: ns-specified parameters scale, nCK ones stay."""
    if tck_old == tck_new:
        return dict(timing)
    out = {k: (v if k in NCK_PARAMS else cycles(v, tck_old, tck_new)) for k, v in timing.items()}
    for k in MAX_PARAMS:  # refresh intervals are maxima: round down
        if k in timing:
            out[k] = max(1, int(timing[k] * tck_old // tck_new))
    return out


def _hbm2(tck_ps: int) -> dict:
    # Ramulator 2.1 preset HBM2_2000Mbps (as generated into PyTorchSim's configs/ramulator2_configs/HBM2*.yaml),
    # JESD235A analog timings in ns at tCK = 1 ns: tCL 14, tRCD 14/12 (RD/WR), tRP 14, tRAS 34, tRC 48, tWR 16,
    # tRTP 5, tRRD_S/L 4, tWTR_S/L 6/8, tFAW 15, tRFC 350 (8Gb), tRFCsb 160, tRREFD 8, tREFI 3.9 us,
    # tREFIsb = tREFI / 32 banks; nBL 2 (BL4 on a DDR bus), tCCD_S/L 2/4 nCK, WL 5 nCK.
    base = dict(nBL=2, nCL=14, nCWL=5, nRCDRD=14, nRCDWR=12, nRP=14, nRAS=34, nRC=48, nWR=16, nRTP=5, nCCDS=2,
                nCCDL=4, nRRDS=4, nRRDL=4, nWTRS=6, nWTRL=8, nFAW=15, nRTRS=2, nRFC=350, nRFCpb=160, nREFI=3900,
                nREFIpb=122, nRREFD=8)
    return rescale(base, 1000, tck_ps)


def _hbm3(tck_ps: int) -> dict:
    # Ramulator 2.1 preset HBM3_6400Mbps (PyTorchSim configs/ramulator2_configs/HBM3_TPUv6e.yaml), JESD238,
    # tCK 312 ps: tCL 52, tRCD 52/28, tRP 52, tRAS 96, tRC 148, tWR 48, tRTP 12, tRRD_S/L 16, tWTR_S/L 16/24,
    # tFAW 48, tRFC 1120 (350 ns), tRFCpb 640, tRREFD 26, tREFI 12480 (3.9 us), tREFIpb 390; BL8 -> nBL 4.
    base = dict(nBL=4, nCL=52, nCWL=16, nRCDRD=52, nRCDWR=28, nRP=52, nRAS=96, nRC=148, nWR=48, nRTP=12, nCCDS=4,
                nCCDL=8, nRRDS=16, nRRDL=16, nWTRS=16, nWTRL=24, nFAW=48, nRTRS=2, nRFC=1120, nRFCpb=640,
                nREFI=12480, nREFIpb=390, nRREFD=26)
    return rescale(base, 312, tck_ps)


# DDR4 speed bins, JESD79-4 (Ramulator 2 DDR4 presets DDR4_1600J / DDR4_2400R / DDR4_3200AA), 1 KB page (x8):
# tRRD_S/L, tFAW for 1 KB page, tRFC 350 ns (8 Gb), tREFI 7.8 us. DDR4 has no per-bank refresh (nRFCpb,
# nREFIpb, nRREFD are placeholders that the config rejects for refresh=per_bank).
_DDR4 = {
    "DDR4_1600J": (1250, dict(nBL=4, nCL=10, nCWL=9, nRCDRD=10, nRCDWR=10, nRP=10, nRAS=28, nRC=38, nWR=12,
                              nRTP=6, nCCDS=4, nCCDL=5, nRRDS=4, nRRDL=5, nWTRS=2, nWTRL=6, nFAW=20, nRTRS=2,
                              nRFC=280, nRFCpb=280, nREFI=6240, nREFIpb=390, nRREFD=4)),
    "DDR4_2400R": (833, dict(nBL=4, nCL=16, nCWL=12, nRCDRD=16, nRCDWR=16, nRP=16, nRAS=39, nRC=55, nWR=18,
                             nRTP=9, nCCDS=4, nCCDL=6, nRRDS=4, nRRDL=6, nWTRS=3, nWTRL=9, nFAW=26, nRTRS=2,
                             nRFC=420, nRFCpb=420, nREFI=9360, nREFIpb=585, nRREFD=4)),
    "DDR4_3200AA": (625, dict(nBL=4, nCL=22, nCWL=16, nRCDRD=22, nRCDWR=22, nRP=22, nRAS=52, nRC=74, nWR=24,
                              nRTP=12, nCCDS=4, nCCDL=8, nRRDS=4, nRRDL=8, nWTRS=4, nWTRL=12, nFAW=34, nRTRS=2,
                              nRFC=560, nRFCpb=560, nREFI=12480, nREFIpb=780, nRREFD=4)),
}

# LPDDR5, JESD209-5 (Ramulator 2 preset LPDDR5_6400), CK 800 MHz (tCK 1250 ps, WCK:CK 4:1): tCL 20, WL 11,
# tRCD 18 ns, tRPpb 18 ns, tRAS 42 ns, tRC = tRAS + tRPpb (Ramulator's nRC 30 is below its nRAS), tWR 34 ns,
# tRTP 7.5 ns, tRRD 5 ns, tWTR_S/L 6.25/12.5 ns, tFAW 20 ns, tRFCab 210 ns / tRFCpb 120 ns (8 Gb),
# tpbR2pbR 90 ns, tREFI 3.9 us, tREFIpb = tREFI / 16 banks; BL16 on x16 = 32 B in 2 tCK, tCCD_L 4 nCK (BG mode).
_LPDDR5_6400 = dict(nBL=2, nCL=20, nCWL=11, nRCDRD=15, nRCDWR=15, nRP=15, nRAS=34, nRC=49, nWR=28, nRTP=6,
                    nCCDS=2, nCCDL=4, nRRDS=4, nRRDL=4, nWTRS=5, nWTRL=10, nFAW=16, nRTRS=2, nRFC=168, nRFCpb=96,
                    nREFI=3120, nREFIpb=195, nRREFD=72)

# name -> (tCK_ps, builder or dict)
TIMING_PRESETS: dict[str, dict[str, tuple[int, dict]]] = {
    "hbm2": {
        "HBM2_1.4Gbps": (1428, _hbm2(1428)), "HBM2_1400Mbps": (1428, _hbm2(1428)),
        "HBM2_1600Mbps": (1250, _hbm2(1250)),
        "HBM2_1.8Gbps": (1111, _hbm2(1111)), "HBM2_1800Mbps": (1111, _hbm2(1111)),
        "HBM2_1880Mbps": (1064, _hbm2(1064)),
        "HBM2_2000Mbps": (1000, _hbm2(1000)), "HBM2_2Gbps": (1000, _hbm2(1000)),
        "HBM2_2400Mbps": (833, _hbm2(833)),
    },
    "hbm3": {
        "HBM3_5.2Gbps": (385, _hbm3(385)), "HBM3_5200Mbps": (385, _hbm3(385)),
        "HBM3_6.4Gbps": (312, _hbm3(312)), "HBM3_6400Mbps": (312, _hbm3(312)),
    },
    "ddr4": {**_DDR4, "DDR4_3200": _DDR4["DDR4_3200AA"]},
    "lpddr5": {"LPDDR5_6400": (1250, _LPDDR5_6400)},
}

# Organisation of one channel: pseudo-channels, ranks, bank groups, banks per group, rows, page bytes per
# pseudo-channel/rank. HBM2/HBM3 from Ramulator 2.1 org presets (HBM2_8Gb: count [1,2,4,4,65536,32], 64-bit
# pseudo-channel, 1 KB page, JESD235 pseudo-channel mode); DDR4 from JESD79-4 x8/x16 dies on a 64-bit rank;
# LPDDR5 from JESD209-5 x16 (2 KB page).
ORG_PRESETS: dict[str, dict[str, dict]] = {
    "hbm2": {
        "HBM2_2Gb": dict(pcs=2, ranks=1, bankgroups=4, banks=2, rows=16384, page_bytes=1024),
        "HBM2_4Gb": dict(pcs=2, ranks=1, bankgroups=4, banks=4, rows=16384, page_bytes=1024),
        "HBM2_8Gb": dict(pcs=2, ranks=1, bankgroups=4, banks=4, rows=65536, page_bytes=1024),
    },
    "hbm3": {
        "HBM3_8Gb": dict(pcs=2, ranks=1, bankgroups=4, banks=4, rows=32768, page_bytes=1024),
        "HBM3_16Gb": dict(pcs=2, ranks=1, bankgroups=4, banks=4, rows=65536, page_bytes=1024),
    },
    "ddr4": {
        "DDR4_8Gb_x8": dict(pcs=1, ranks=1, bankgroups=4, banks=4, rows=65536, page_bytes=8192),
        "DDR4_16Gb_x8": dict(pcs=1, ranks=1, bankgroups=4, banks=4, rows=131072, page_bytes=8192),
        "DDR4_8Gb_x16": dict(pcs=1, ranks=1, bankgroups=2, banks=4, rows=65536, page_bytes=8192),
        "DDR4_8Gb_x8_2R": dict(pcs=1, ranks=2, bankgroups=4, banks=4, rows=65536, page_bytes=8192),
    },
    "lpddr5": {
        "LPDDR5_8Gb_x16": dict(pcs=1, ranks=1, bankgroups=4, banks=4, rows=32768, page_bytes=2048),
        "LPDDR5_16Gb_x16": dict(pcs=1, ranks=1, bankgroups=4, banks=4, rows=65536, page_bytes=2048),
    },
}

DEFAULTS = {  # standard -> (org preset, timing preset, split row/column command bus, ACT command-bus cycles)
    # JESD235: separate row and column command interfaces; ACTIVATE is a two-cycle row command (Ramulator 2.1
    # hbm2.py: command_cycles = {"ACT": 2})
    "hbm2": ("HBM2_8Gb", "HBM2_2000Mbps", 1, 2),
    # JESD238: separate interfaces; ACT takes 1.5 CK there (Ramulator 2.1 models half-CK ticks), here 1 cycle
    "hbm3": ("HBM3_8Gb", "HBM3_6.4Gbps", 1, 1),
    "ddr4": ("DDR4_8Gb_x8", "DDR4_3200AA", 0, 1),
    "lpddr5": ("LPDDR5_8Gb_x16", "LPDDR5_6400", 0, 1),
}
# Ramulator 2 DRAM impl names -> our standard names
STANDARD_NAMES = {"HBM2": "hbm2", "HBM3": "hbm3", "DDR4": "ddr4", "LPDDR5": "lpddr5"}
