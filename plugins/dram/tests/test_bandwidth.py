"""Bandwidth limits: streaming reaches the data-bus peak with a good mapping; random traffic is bound by tRC/tFAW."""
from __future__ import annotations

import numpy as np

from dram_helpers import addr_of, make, run_trace

N = 24000


def test_streaming_reaches_90_percent_of_peak_with_mop4clxor():
    comp = make("hbm2", freq_mhz=940, channels=4, address_mapping="MOP4CLXOR", refresh="none")
    s = run_trace(comp, np.arange(N) * 32)
    assert s["bandwidth_pct_of_peak"] >= 90.0
    assert s["bandwidth_pct_of_peak"] <= 100.0
    assert s["row_hit_rate"] > 0.95


def test_all_bank_refresh_costs_about_trfc_over_trefi():
    comp = make("hbm2", freq_mhz=940, channels=4, address_mapping="MOP4CLXOR")
    sp = comp.resolved["spec"]
    s = run_trace(comp, np.arange(4 * N) * 32)
    ceiling = 100.0 * (1 - sp["nRFC"] / sp["nREFI"])
    assert ceiling - 8.0 <= s["bandwidth_pct_of_peak"] <= ceiling + 3.0
    assert comp.stats()["refreshes"] > 0


def test_mapping_moves_streaming_bandwidth():
    """RoBaRaCoCh keeps consecutive accesses in one bank (tCCD_L-bound); ChRaBaRoCo fills one channel first."""
    pct = {}
    for mapping in ("RoBaRaCoCh", "ChRaBaRoCo", "MOP4CLXOR"):
        comp = make("hbm2", freq_mhz=940, channels=4, address_mapping=mapping, refresh="none")
        pct[mapping] = run_trace(comp, np.arange(N) * 32)["bandwidth_pct_of_peak"]
    sp = make("hbm2").resolved["spec"]
    # RoBaRaCoCh puts the column lowest: a stream reads the 32 columns of one bank at one access per tCCD_L
    # (instead of per tBL), then the same bank of the other pseudo-channel (the two overlap only while the
    # controller queue spans the switch): about nBL / nCCDL of peak on long streams (Ramulator 2.1: 50%)
    assert pct["RoBaRaCoCh"] <= 100.0 * sp["nBL"] / sp["nCCDL"] + 12.0
    assert pct["MOP4CLXOR"] >= 1.5 * pct["RoBaRaCoCh"]  # DESIGN.md: the mapping alone moves streaming 1.7x
    assert pct["ChRaBaRoCo"] <= 100.0 / 4  # a 768-KB stream stays inside channel 0 of 4


def test_random_rows_of_one_bank_take_one_trc_each():
    comp = make("hbm2", channels=1, refresh="none")
    sp = comp.resolved["spec"]
    rows = np.random.default_rng(3).permutation(4096)[:400]
    s = run_trace(comp, [addr_of(comp, bank=1, row=int(r)) for r in rows])
    per_access = s["sim_time_ns"] * 1000 / sp["tck_ps"] / len(rows)
    assert abs(per_access - sp["nRC"]) <= 1.0  # ACT -> ACT to the same bank: tRC (JESD235)


def test_ddr4_bank_round_robin_is_tfaw_bound():
    comp = make("ddr4", channels=1, refresh="none", req_bytes=64, read_queue_size=64)
    sp = comp.resolved["spec"]
    addrs = [addr_of(comp, bg=i % 4, bank=(i // 4) % 4, row=i // 16 + 1) for i in range(2000)]
    s = run_trace(comp, addrs)
    cycles = s["sim_time_ns"] * 1000 / sp["tck_ps"]
    act_rate = comp.stats()["acts"] / cycles
    bound = min(4 / sp["nFAW"], 1 / sp["nRRDS"], 16 / sp["nRC"])
    assert bound == 4 / sp["nFAW"]  # DDR4-3200 x8: four ACTs per tFAW is the binding limit (JESD79-4)
    assert 0.95 * bound <= act_rate <= bound * 1.0001


def test_random_reads_never_beat_the_activation_bound():
    comp = make("hbm2", channels=1, refresh="none")
    sp = comp.resolved["spec"]
    addrs = np.random.default_rng(7).integers(0, 1 << 31, 8000) // 32 * 32
    s = run_trace(comp, addrs)
    cycles = s["sim_time_ns"] * 1000 / sp["tck_ps"]
    per_pc_bound = min(1 / sp["nRRDS"], 4 / sp["nFAW"], sp["bankgroups"] * sp["banks"] / sp["nRC"])
    st = comp.stats()
    assert st["acts"] / cycles <= sp["pcs"] * per_pc_bound
    assert st["row_conflicts"] + st["row_misses"] >= 0.95 * len(addrs)
    assert s["bandwidth_pct_of_peak"] <= 100.0 * per_pc_bound * max(sp["nBL"], sp["nCCDS"]) + 1.0
