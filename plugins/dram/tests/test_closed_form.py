"""Closed-form DRAM behaviour: single-access latencies (idle bank, row hit, conflict, writes, closed row), the
write-drain watermarks, and refresh (PREA before REFab, the per-bank sequence, what a pending refresh holds)."""
from __future__ import annotations

import numpy as np
import pytest

from dram_helpers import addr_of, make
from npusim.testing.drive import drive_memory

GAP_CYCLES = 1000  # far beyond every timing constraint, so the second access sees an idle bank


def _lat(comp, reqs):
    out = sorted(drive_memory(comp.cpp, reqs))
    return [done - sent for _, sent, done, *_ in out]


def _act_extra(s: dict) -> int:
    """Cycles of an ACT beyond its first: tRCD runs from its last cycle (HBM2: a two-cycle ACT, JESD235)."""
    return s["act_cycles"] - 1


@pytest.mark.parametrize("standard", ["hbm2", "hbm3", "ddr4", "lpddr5"])
def test_idle_read_is_trcd_tcl_tbl(standard):
    comp = make(standard, refresh="none")
    s = comp.resolved["spec"]
    assert s["act_cycles"] == (2 if standard == "hbm2" else 1)
    want = (_act_extra(s) + s["nRCDRD"] + s["nCL"] + s["nBL"]) * s["tck_ps"]
    assert _lat(comp, [(0, 0, addr_of(comp, row=5), 32, False)]) == [want]


@pytest.mark.parametrize("standard", ["hbm2", "ddr4"])
def test_idle_write_is_trcdwr_tcwl_tbl(standard):
    comp = make(standard, refresh="none")
    s = comp.resolved["spec"]
    want = (_act_extra(s) + s["nRCDWR"] + s["nCWL"] + s["nBL"]) * s["tck_ps"]
    assert _lat(comp, [(0, 0, addr_of(comp, row=5), 32, True)]) == [want]


def test_row_hit_is_tcl_tbl():
    comp = make("hbm2", refresh="none", freq_mhz=940)
    s = comp.resolved["spec"]
    t1 = GAP_CYCLES * s["tck_ps"]
    lat = _lat(comp, [(0, 0, addr_of(comp, bg=1, row=7, col=0), 32, False),
                      (t1, 0, addr_of(comp, bg=1, row=7, col=9), 32, False)])
    assert lat[1] == (s["nCL"] + s["nBL"]) * s["tck_ps"]
    assert comp.stats()["row_hits"] == 1 and comp.stats()["row_misses"] == 1


def test_row_conflict_is_trp_trcd_tcl_tbl():
    comp = make("hbm2", refresh="none", freq_mhz=940)
    s = comp.resolved["spec"]
    t1 = GAP_CYCLES * s["tck_ps"]
    lat = _lat(comp, [(0, 0, addr_of(comp, bank=2, row=7), 32, False),
                      (t1, 0, addr_of(comp, bank=2, row=8), 32, False)])
    # the ACT's extra cycle cancels: PRE -> ACT is one cycle shorter, ACT -> RD one longer (JESD235)
    assert lat[1] == (s["nRP"] + s["nRCDRD"] + s["nCL"] + s["nBL"]) * s["tck_ps"]
    assert comp.stats()["row_conflicts"] == 1


def test_closed_row_policy_turns_the_hit_into_a_miss():
    comp = make("hbm2", refresh="none", row_policy="closed")
    s = comp.resolved["spec"]
    t1 = GAP_CYCLES * s["tck_ps"]
    lat = _lat(comp, [(0, 0, addr_of(comp, row=7, col=0), 32, False), (t1, 0, addr_of(comp, row=7, col=1), 32, False)])
    assert lat == [(_act_extra(s) + s["nRCDRD"] + s["nCL"] + s["nBL"]) * s["tck_ps"]] * 2


def test_fixed_latency_and_multi_access_request():
    comp = make("hbm2", refresh="none", latency_cycles=10)
    s = comp.resolved["spec"]
    # 64 B at column 0 = two 32-B accesses to columns 0 and 1 of one bank (RoBaRaCoCh puts the column lowest):
    # one ACT, the first RD tRCD later, the second a row hit tCCD_L after it; the request completes once, with
    # its last access.
    lat = _lat(comp, [(0, 0, addr_of(comp, row=3), 64, False)])
    assert lat == [(_act_extra(s) + s["nRCDRD"] + s["nCCDL"] + s["nCL"] + s["nBL"] + 10) * s["tck_ps"]]
    st = comp.stats()
    assert st["reads"] == 1 and st["row_misses"] == 1 and st["row_hits"] == 1


def test_min_latency_is_a_true_lower_bound():
    comp = make("hbm2", refresh="none")
    s = comp.resolved["spec"]
    assert comp.cpp.min_latency_ps() == (min(s["nCL"], s["nCWL"]) + s["nBL"]) * s["tck_ps"]


def test_idle_device_reports_no_event_and_refresh_catches_up():
    comp = make("hbm2")
    s = comp.resolved["spec"]
    assert comp.cpp.next_event() == 2**63 - 1
    far = 10 * s["nREFI"] * s["tck_ps"]
    lat = _lat(comp, [(far + 7 * s["tck_ps"], 0, addr_of(comp, row=1), 32, False)])
    # the device refreshed while idle (each pseudo-channel ~10 times) and the read still sees an idle bank
    assert comp.stats()["refreshes"] >= 2 * 9
    assert lat[0] >= (s["nRCDRD"] + s["nCL"] + s["nBL"]) * s["tck_ps"]
    assert lat[0] <= (s["nRFC"] + s["nRCDRD"] + s["nCL"] + s["nBL"]) * s["tck_ps"]


def test_an_activated_access_leaves_the_queue():
    """Ramulator 2's active buffer: with a one-entry read queue, a second read (another bank of the same bank group)
    is accepted in the cycle after the first one's ACT, not after its RD, and activates tRRD_L after it."""
    comp = make("hbm2", refresh="none", read_queue_size=1)
    s = comp.resolved["spec"]
    out = sorted(drive_memory(comp.cpp, [(0, 0, addr_of(comp, bank=0, row=1), 32, False),
                                         (0, 0, addr_of(comp, bank=1, row=1), 32, False)]))
    (_, sent_a, done_a, *_), (_, sent_b, done_b, *_) = out
    tck, extra = s["tck_ps"], s["act_cycles"] - 1
    assert sent_a == 0 and sent_b < tck  # accepted once the first ACT (cycle 0) moved its access out of the queue
    assert done_a == (extra + s["nRCDRD"] + s["nCL"] + s["nBL"]) * tck
    act_b = max(1 + extra, s["nRRDL"])  # the row bus after the two-cycle ACT, and tRRD_L within the bank group
    assert done_b == (act_b + extra + s["nRCDRD"] + s["nCL"] + s["nBL"]) * tck
    assert comp.stats()["acts"] == 2


@pytest.mark.parametrize("fast_path", [1, 0])
@pytest.mark.parametrize("writes,drains_at_once", [(26, True), (25, False)])
def test_write_draining_starts_above_the_high_watermark(writes, drains_at_once, fast_path):
    """Ramulator 2 drains writes once *more than* 0.8 x 32 = 25.6 are queued (float compare): 26 writes start at
    once, 25 wait until the reads have left the queue; a drain stops below 0.2 x 32 = 6.4, after 20 WRs."""
    comp = make("hbm2", timing={"fast_path": fast_path}, refresh="none", command_log=True)
    reads = [(0, 0, addr_of(comp, bank=0, row=r), 32, False) for r in range(20)]  # conflicts: one per tRC
    wr = [(0, 0, addr_of(comp, bank=1, row=3, col=i % 32), 32, True) for i in range(writes)]  # row hits
    drive_memory(comp.cpp, reads + wr)
    log = np.asarray(comp.cpp.command_log(), dtype=np.int64).reshape(-1, 8)
    first_wr = log[log[:, 1] == 3][0, 0]
    read_acts = log[(log[:, 1] == 0) & (log[:, 6] == 0), 0]
    if drains_at_once:
        assert first_wr < 50 and read_acts.size == 20
        assert ((log[:, 1] == 3) & (log[:, 0] < read_acts[0])).sum() == 20  # 26 -> 6 writes, then the reads
    else:
        s = comp.resolved["spec"]
        assert first_wr > 19 * s["nRC"]  # the reads' ACTs came first (each read leaves the queue at its ACT)


@pytest.mark.parametrize("fast_path", [1, 0])
def test_refresh_closes_open_banks_with_one_prea(fast_path):
    """A due REFab is preceded by one PREA of the pseudo-channel (Ramulator 2.1: PREab), tRAS after its last ACT
    (+1: HBM2's two-cycle ACT), and follows it by tRP; the other pseudo-channel, all closed, refreshes at once."""
    import cppyy

    comp = make("hbm2", timing={"fast_path": fast_path}, channels=1, command_log=True)
    s = comp.resolved["spec"]
    tck, refi = s["tck_ps"], s["nREFI"]
    late = (refi - 5) * tck  # its ACT lands 5 cycles before the refresh is due
    drive_memory(comp.cpp, [(0, 0, addr_of(comp, bank=0, row=1), 32, False),
                            (late, 0, addr_of(comp, bank=3, row=2), 32, False)])
    comp.cpp.advance((refi + 500) * tck, cppyy.gbl.std.vector[cppyy.gbl.npusim.MemCompletion]())  # past the refresh
    log = np.asarray(comp.cpp.command_log(), dtype=np.int64).reshape(-1, 8)
    prea, ref, pre, act = (log[log[:, 1] == k] for k in (8, 6, 1, 0))
    assert len(pre) == 0 and len(prea) == 1 and prea[0, 3] == 0  # one PREA, pseudo-channel 0, no per-bank PRE
    assert prea[0, 0] == act[-1, 0] + s["nRAS"] + s["act_cycles"] - 1
    first_ref = {int(pc): int(t) for t, pc in ref[:, [0, 3]][::-1]}
    assert first_ref[1] == refi - 1  # closed: refreshed when due (edge tREFI - 1: Ramulator's clock counts from 1)
    assert first_ref[0] == prea[0, 0] + s["nRP"]


def test_per_bank_refresh_walks_the_channel_once_per_trefi():
    """Per-bank refresh as Ramulator 2.1's PerBank: one REFpb per tREFIpb for the whole channel, bank after bank
    of pseudo-channel 0, then of pseudo-channel 1, so each bank is refreshed once per 32 x tREFIpb (~tREFI)."""
    import cppyy

    comp = make("hbm2", channels=1, refresh="per_bank", command_log=True)
    s = comp.resolved["spec"]
    banks = s["pcs"] * s["bankgroups"] * s["banks"]
    until = (3 * banks * s["nREFIpb"] + 1) * s["tck_ps"]
    comp.cpp.advance(until, cppyy.gbl.std.vector[cppyy.gbl.npusim.MemCompletion]())
    log = np.asarray(comp.cpp.command_log(), dtype=np.int64).reshape(-1, 8)
    refpb = log[log[:, 1] == 7]
    assert len(refpb) == 3 * banks
    assert (refpb[:, 0] == s["nREFIpb"] * np.arange(1, 3 * banks + 1) - 1).all()  # idle: each exactly when due
    order = refpb[:, 3] * (s["bankgroups"] * s["banks"]) + refpb[:, 5] * s["banks"] + refpb[:, 6]  # pc, bg, bank
    assert (order == np.arange(3 * banks) % banks).all()
    assert abs(s["nREFIpb"] * banks - s["nREFI"]) <= banks  # every bank once per tREFI (tREFIpb rounded to a cycle)


@pytest.mark.parametrize("hold", ["channel", "target"])
def test_a_pending_refresh_holds_back_the_channel_or_only_its_bank(hold):
    """Pseudo-channel 0's bank 0 is due for REFpb at edge tREFIpb - 1 but has just been opened, so its PRE waits for
    tRAS; a read to pseudo-channel 1 arriving meanwhile waits for the REFpb (hold = channel, Ramulator 2.1's
    priority buffer) or goes at once (hold = target)."""
    import cppyy

    comp = make("hbm2", channels=1, refresh="per_bank", refresh_hold=hold, command_log=True)
    s = comp.resolved["spec"]
    tck, due = s["tck_ps"], s["nREFIpb"] - 1
    drive_memory(comp.cpp, [((due - 3) * tck, 0, addr_of(comp, pc=0, bank=0, row=1), 32, False),
                            ((due + 4) * tck, 0, addr_of(comp, pc=1, bank=2, row=1), 32, False)])
    comp.cpp.advance((due + 200) * tck, cppyy.gbl.std.vector[cppyy.gbl.npusim.MemCompletion]())  # past the REFpb
    log = np.asarray(comp.cpp.command_log(), dtype=np.int64).reshape(-1, 8)
    refpb = log[(log[:, 1] == 7) & (log[:, 3] == 0)][0, 0]
    act_pc1 = log[(log[:, 1] == 0) & (log[:, 3] == 1)][0, 0]
    assert refpb > due + s["nRAS"]  # PRE after tRAS, then tRP
    if hold == "channel":
        assert act_pc1 > refpb
    else:
        assert act_pc1 == due + 4
