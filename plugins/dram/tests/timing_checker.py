"""Independent JEDEC command-trace checker: replays a DRAM command log against pairwise timing rules.

It knows nothing about the scheduler: it only sees (cycle, cmd, channel, pc, rank, bankgroup, bank, row)
records and the timing table, tracks bank states, and reports every violated constraint. A command is logged
at its first cycle; a multi-cycle one (HBM2's ACT: spec["act_cycles"] = 2, JESD235) holds its command bus
that long, and the JEDEC distances, measured between the last cycles of two commands, are shifted by the
extra cycles (as Ramulator 2.1's spec generator does): +1 after an ACT, -1 before one.
"""
from __future__ import annotations

from collections import defaultdict

ACT, PRE, RD, WR, RDA, WRA, REFAB, REFPB, PREA = range(9)
NAMES = ["ACT", "PRE", "RD", "WR", "RDA", "WRA", "REFab", "REFpb", "PREA"]
READS, WRITES, COLS = {RD, RDA}, {WR, WRA}, {RD, WR, RDA, WRA}
ROW_CMDS = {ACT, PRE, REFAB, REFPB, PREA}


def rules(s: dict) -> dict[str, list[tuple[set, set, int]]]:
    """Minimum distances (prev cmds, next cmds, cycles) per scope, from JESD235/JESD79-4/JESD209-5 tables."""
    rtw = s["nCL"] + s["nBL"] + 2 - s["nCWL"]
    burst = max(s["nCCDS"], s["nBL"])
    wr_close = s["nCWL"] + s["nBL"] + s["nWR"]
    return {
        "bank": [({ACT}, {ACT}, s["nRC"]), ({ACT}, READS, s["nRCDRD"]), ({ACT}, WRITES, s["nRCDWR"]),
                 ({ACT}, {PRE}, s["nRAS"]), ({PRE}, {ACT, REFPB}, s["nRP"]), ({RD}, {PRE}, s["nRTP"]),
                 ({WR}, {PRE}, wr_close), ({RDA}, {ACT, REFPB}, s["nRTP"] + s["nRP"]),
                 ({WRA}, {ACT, REFPB}, wr_close + s["nRP"]), ({REFPB}, {ACT}, s["nRFCpb"]),
                 ({ACT}, {REFPB}, s["nRC"])],
        "group": [(READS, READS, s["nCCDL"]), (WRITES, WRITES, s["nCCDL"]),
                  (WRITES, READS, s["nCWL"] + s["nBL"] + s["nWTRL"]), (READS, WRITES, rtw),
                  ({ACT}, {ACT}, s["nRRDL"])],
        "unit": [(READS, READS, burst), (WRITES, WRITES, burst), (READS, WRITES, rtw),
                 (WRITES, READS, s["nCWL"] + s["nBL"] + s["nWTRS"]), ({ACT}, {ACT}, s["nRRDS"]),
                 ({ACT}, {REFAB}, s["nRC"]), ({PRE}, {REFAB}, s["nRP"]), ({REFAB}, {ACT, REFAB, REFPB}, s["nRFC"]),
                 ({REFPB}, {REFPB, ACT}, s["nRREFD"]), ({RDA}, {REFAB}, s["nRTP"] + s["nRP"]),
                 ({WRA}, {REFAB}, wr_close + s["nRP"]),
                 # PREA (precharge all banks of the unit; logged at its first bank): after every bank's tRAS,
                 # tRTP and write recovery, tRP before any bank's ACT or a refresh
                 ({ACT}, {PREA}, s["nRAS"]), ({RD}, {PREA}, s["nRTP"]), ({WR}, {PREA}, wr_close),
                 ({PREA}, {ACT, REFAB, REFPB}, s["nRP"])],
        "other_rank": [(READS, READS, s["nBL"] + s["nRTRS"]), (WRITES, WRITES, s["nBL"] + s["nRTRS"]),
                       (READS, WRITES, rtw + s["nRTRS"])],
    }


def check(log: list[tuple[int, ...]], spec: dict) -> list[str]:
    """Every violation in `log` (empty list when the trace obeys all constraints)."""
    table = rules(spec)
    last: dict[tuple, dict[int, int]] = defaultdict(dict)  # scope key -> cmd -> last cycle
    open_row: dict[tuple, int] = {}
    acts: dict[tuple, list[int]] = defaultdict(list)
    bus: dict[tuple, int] = {}
    errors: list[str] = []
    ranks = spec["ranks"]

    def extra(c: int) -> int:
        """Cycles of command c beyond its first."""
        return spec.get("act_cycles", 1) - 1 if c == ACT else 0

    for t, cmd, ch, pc, rank, bg, bank, row in sorted(log, key=lambda r: r[0]):
        what = f"{NAMES[cmd]}@{t} ch{ch} pc{pc} r{rank} bg{bg} b{bank}"
        keys = {"bank": ("b", ch, pc, rank, bg, bank), "group": ("g", ch, pc, rank, bg), "unit": ("u", ch, pc, rank)}
        bk = keys["bank"]
        # state rules
        if cmd == ACT and bk in open_row:
            errors.append(f"{what}: ACT to an open bank")
        if cmd in COLS and open_row.get(bk) != row:
            errors.append(f"{what}: column command without row {row} open")
        if cmd == PRE and bk not in open_row:
            errors.append(f"{what}: PRE of a closed bank")
        if cmd == REFAB and any(k[1:4] == (ch, pc, rank) for k in open_row):
            errors.append(f"{what}: REFab with banks open")
        if cmd == REFPB and bk in open_row:
            errors.append(f"{what}: REFpb of an open bank")
        # command bus: one row and one column command per cycle (split, HBM) or one command per cycle; a
        # multi-cycle command holds its bus for all its cycles
        slot = ("row" if cmd in ROW_CMDS else "col") if spec["split_cmd_bus"] else "cmd"
        if t < bus.get((ch, slot), -1):
            errors.append(f"{what}: {slot} bus still busy until {bus[(ch, slot)]}")
        bus[(ch, slot)] = t + extra(cmd) + 1
        # pairwise timing
        for scope, key in keys.items():
            for prev, nxt, dist in table[scope]:
                if cmd not in nxt:
                    continue
                for p in prev:
                    tp = last[key].get(p)
                    need = dist + extra(p) - extra(cmd)
                    if tp is not None and t - tp < need:
                        errors.append(f"{what}: {scope} {NAMES[p]}@{tp} -> {NAMES[cmd]} needs {need} cycles")
        for r2 in range(ranks):
            if r2 == rank:
                continue
            key = ("u", ch, pc, r2)
            for prev, nxt, dist in table["other_rank"]:
                if cmd in nxt:
                    for p in prev:
                        tp = last[key].get(p)
                        if tp is not None and t - tp < dist:
                            errors.append(f"{what}: rank switch {NAMES[p]}@{tp} -> {NAMES[cmd]} needs {dist}")
        if cmd == ACT:
            window = acts[keys["unit"]]
            if len(window) >= 4 and t - window[-4] < spec["nFAW"]:
                errors.append(f"{what}: fifth ACT within tFAW={spec['nFAW']} (ACTs at {window[-4:]})")
            window.append(t)
        # state update
        if cmd == ACT:
            open_row[bk] = row
        elif cmd in (PRE, RDA, WRA):
            open_row.pop(bk, None)
        elif cmd == PREA:
            for k in [k for k in open_row if k[1:4] == (ch, pc, rank)]:
                del open_row[k]
        for key in keys.values():
            last[key][cmd] = t
    return errors
