"""Every command the controller issues obeys every JEDEC constraint (independent checker, hypothesis streams)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dram_helpers import make
from npusim.testing.drive import drive_memory
from timing_checker import check



def fast_refresh(standard: str, **params) -> dict:
    """Short refresh intervals (still feasible: tREFI > tRFC, tREFIpb > tRREFD) so refreshes interleave with traffic."""
    s = make(standard, **params).resolved["spec"]
    return {"nREFI": 3 * s["nRFC"], "nREFIpb": 2 * s["nRREFD"] + 4}

configs = st.fixed_dictionaries({
    "standard": st.sampled_from(["hbm2", "hbm3", "ddr4", "lpddr5"]),
    "scheduler": st.sampled_from(["frfcfs", "fcfs", "frfcfs_rowhit"]),
    "row_policy": st.sampled_from(["open", "closed"]),
    "refresh": st.sampled_from(["all_bank", "per_bank", "none"]),
    "refresh_hold": st.sampled_from(["channel", "target"]),
    "address_mapping": st.sampled_from(["RoBaRaCoCh", "ChRaBaRoCo", "MOP4CLXOR"]),
    "queue": st.sampled_from([4, 32]),
})


@st.composite
def streams(draw):
    """Timed requests over a small address space (many hits, misses and conflicts), 2 channels."""
    n = draw(st.integers(1, 120))
    t, out = 0, []
    for _ in range(n):
        t += draw(st.sampled_from([0, 0, 0, 500, 3000, 20000]))
        row = draw(st.integers(0, 5))
        low = draw(st.integers(0, 1 << 13)) * 32
        out.append((t, draw(st.integers(0, 1)), (row << 20) | low, draw(st.sampled_from([32, 64, 96])),
                    draw(st.booleans())))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=configs, reqs=streams())
def test_no_command_violates_a_timing_constraint(cfg, reqs):
    std = cfg["standard"]
    refresh = "all_bank" if std == "ddr4" and cfg["refresh"] == "per_bank" else cfg["refresh"]
    params = dict(channels=2, scheduler=cfg["scheduler"], row_policy=cfg["row_policy"], refresh=refresh,
                  refresh_hold=cfg["refresh_hold"],
                  address_mapping=cfg["address_mapping"], read_queue_size=cfg["queue"],
                  write_queue_size=cfg["queue"], command_log=True)
    if std == "ddr4":
        params["org_preset"] = "DDR4_8Gb_x8_2R"  # two ranks: rank-switch constraints too
    comp = make(std, timing=fast_refresh(std, **params), **params)
    out = drive_memory(comp.cpp, reqs)
    assert sorted(r[0] for r in out) == list(range(len(reqs)))
    log = comp.command_log()
    spec = comp.resolved["spec"]
    assert check(log, spec) == []
    # every read completes exactly nCL + nBL after its last RD (data on the bus), never before
    assert all(done - sent >= comp.cpp.min_latency_ps() for _, sent, done, *_ in out)


def test_checker_catches_violations():
    spec = make("hbm2").resolved["spec"]
    assert spec["act_cycles"] == 2  # HBM2: a two-cycle ACT; tRCD runs from its second cycle (JESD235)
    ok = [(0, 0, 0, 0, 0, 0, 0, 5), (spec["nRCDRD"] + 1, 2, 0, 0, 0, 0, 0, 5)]
    assert check(ok, spec) == []
    early = [(0, 0, 0, 0, 0, 0, 0, 5), (spec["nRCDRD"], 2, 0, 0, 0, 0, 0, 5)]
    assert any("needs" in e for e in check(early, spec))
    # PRE -> ACT ends at the ACT's last cycle: it may start tRP - 1 after the PRE, not earlier
    pre_act = [(0, 0, 0, 0, 0, 0, 0, 5), (spec["nRAS"] + 1, 1, 0, 0, 0, 0, 0, 5)]
    assert check(pre_act + [(spec["nRAS"] + spec["nRP"], 0, 0, 0, 0, 0, 0, 6)], spec) == []
    assert any("needs" in e for e in check(pre_act + [(spec["nRAS"] + spec["nRP"] - 1, 0, 0, 0, 0, 0, 0, 6)], spec))
    # the ACT holds the row bus for two cycles: a PRE to another bank one cycle later collides
    held = [(0, 0, 0, 0, 0, 0, 0, 5), (50, 0, 0, 0, 0, 1, 0, 5), (51, 1, 0, 0, 0, 0, 0, 5)]
    assert any("bus still busy" in e for e in check(held, spec))
    wrong_row = [(0, 0, 0, 0, 0, 0, 0, 5), (100, 2, 0, 0, 0, 0, 0, 6)]
    assert any("without row" in e for e in check(wrong_row, spec))
    ddr4 = make("ddr4").resolved["spec"]
    faw = [(i * ddr4["nRRDL"], 0, 0, 0, 0, i % 4, i // 4, 1) for i in range(5)]
    assert 4 * ddr4["nRRDL"] < ddr4["nFAW"]
    assert any("tFAW" in e for e in check(faw, ddr4))
    bus = [(0, 0, 0, 0, 0, 0, 0, 1), (0, 0, 0, 1, 0, 0, 0, 1)]
    assert any("bus" in e for e in check(bus, spec))


def test_long_mixed_run_is_clean_and_refreshes():
    comp = make("hbm2", timing={"nREFI": 1000}, channels=1, command_log=True)
    reqs = [(i * 700, 0, ((i * 7919) % 64) << 15 | (i % 32) * 32, 64, i % 5 == 0) for i in range(1000)]
    drive_memory(comp.cpp, reqs)
    log = comp.command_log()
    assert check(log, comp.resolved["spec"]) == []
    cmds = {r[1] for r in log}
    assert {0, 1, 2, 3, 6} <= cmds  # ACT, PRE, RD, WR, REFab all exercised
