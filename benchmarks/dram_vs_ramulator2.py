"""npusim HBM2 and DDR4 vs Ramulator 2.1 on the same traces: side-by-side table, and (--write) the recorded reference.

usage: python benchmarks/dram_vs_ramulator2.py --ramulator DIR [--commit SHA] [--write] [--crosscheck] [-k NAME]
       python benchmarks/dram_vs_ramulator2.py --recorded [--markdown]   (the stored reference against today's npusim)

DIR is a built Ramulator 2.1 source tree (CMU-SAFARI/ramulator2: libramulator.so in DIR, python/ramulator;
`cmake -DRAMULATOR_PYTHON_BINDINGS=ON` also builds the LoadStoreTrace cross-check). Not needed by CI: the
test (plugins/dram/tests/test_vs_ramulator2.py) reads plugins/dram/tests/data/ramulator2_reference.json.
Ramulator runs through plugins/dram/tools/ramulator2_replay.cpp (compiled here against DIR), which offers
requests like Ramulator's LoadStoreTrace frontend but, unlike Simulation::run (which stops when the last
request is accepted), ticks on until every request has completed. --crosscheck also runs the LoadStoreTrace
frontend through Ramulator's own Simulation loop and checks that its statistics equal the driver's at the
moment the last request was accepted.

Building Ramulator 2.1 offline (its CMake fetches yaml-cpp 0.9.0, fmt 10.2.1, nanobind 2.4.0 + robin-map): unpack
those into DIR/ext/{yaml-cpp,fmt,nanobind} (robin-map into nanobind/ext/robin_map), then
  cmake -S DIR -B BUILD -DCMAKE_BUILD_TYPE=Release -DFETCHCONTENT_FULLY_DISCONNECTED=ON \
    -DFETCHCONTENT_SOURCE_DIR_YAML-CPP=DIR/ext/yaml-cpp -DFETCHCONTENT_SOURCE_DIR_FMT=DIR/ext/fmt \
    -DFETCHCONTENT_SOURCE_DIR_NANOBIND=DIR/ext/nanobind -DPython_EXECUTABLE=$(which python)
  make -C BUILD -j1 _ramulator     # libramulator.so in DIR, the bindings in DIR/python/ramulator
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "plugins" / "dram" / "tests"
DRIVER = ROOT / "plugins" / "dram" / "tools" / "ramulator2_replay.cpp"
REFERENCE = TESTS / "data" / "ramulator2_reference.json"

GIB = 1 << 30
# npusim Hbm2Dram defaults (HBM2_8Gb, HBM2_2000Mbps, FR-FCFS, open row, all-bank refresh, 32-entry queues,
# 0.8/0.2 write watermarks) with the mapping and channel count named.
CONFIGS = {
    "hbm2_1ch_RoBaRaCoCh": dict(channels=1, address_mapping="RoBaRaCoCh"),
    "hbm2_1ch_MOP4CLXOR": dict(channels=1, address_mapping="MOP4CLXOR"),
    "hbm2_16ch_MOP4CLXOR": dict(channels=16, address_mapping="MOP4CLXOR"),
    "hbm2_16ch_RoBaRaCoCh": dict(channels=16, address_mapping="RoBaRaCoCh"),
    # configs/tpuv3.toml's DRAM: HBM2_1880Mbps at 940 MHz (npusim rescales the ns timings of HBM2_2000Mbps; Ramulator
    # 2.1 has no such preset and gets the same cycle counts as overrides, see ramulator_timing)
    "tpuv3": dict(channels=16, freq_mhz=940.0, timing_preset="HBM2_1880Mbps", address_mapping="MOP4CLXOR"),
    # per-bank refresh (Ramulator 2.1 PerBank: one REFpb per tREFIpb for the channel, bank by bank)
    "hbm2_1ch_MOP4CLXOR_perbank": dict(channels=1, address_mapping="MOP4CLXOR", refresh="per_bank"),
    # npusim Ddr4Dram defaults (DDR4_8Gb_x8, DDR4_3200AA, one shared command bus) on a 64-bit rank: 64 B per column
    # command (BL8), as Ramulator 2.1's DDR4 moves (channel_width 64 x BL8). One input differs: Ramulator 2.1's
    # ddr4.py takes tRFC = 360 ns for 8 Gb (576 tCK), JESD79-4 (npusim's preset) 350 ns (560 tCK); npusim runs
    # with Ramulator's value here ("timing": cycle overrides on npusim's side)
    "ddr4_1ch_MOP4CLXOR": dict(standard="ddr4", channels=1, address_mapping="MOP4CLXOR", req_bytes=64,
                               timing={"nRFC": 576}),
    "ddr4_1ch_RoBaRaCoCh": dict(standard="ddr4", channels=1, address_mapping="RoBaRaCoCh", req_bytes=64,
                                timing={"nRFC": 576}),
    # two ranks (rank-switch constraints; Ramulator: DDR4_8Gb_x8 with rank=2)
    "ddr4_1ch_2R_MOP4CLXOR": dict(standard="ddr4", channels=1, org_preset="DDR4_8Gb_x8_2R", address_mapping="MOP4CLXOR",
                                  req_bytes=64, timing={"nRFC": 576}),
}
# npusim timing names -> Ramulator 2.1 HBM2 timing names (python/ramulator/dram/hbm2.py)
TIMING_NAMES = {"nBL": "nBL", "nCL": "nCL", "nRCDRD": "nRCDRD", "nRCDWR": "nRCDWR", "nRP": "nRP", "nRAS": "nRAS",
                "nRC": "nRC", "nWR": "nWR", "nRTP": "nRTPL", "nCWL": "nCWL", "nCCDS": "nCCDS", "nCCDL": "nCCDL",
                "nRRDS": "nRRDS", "nRRDL": "nRRDL", "nWTRS": "nWTRS", "nWTRL": "nWTRL", "nFAW": "nFAW",
                "nRFC": "nRFC", "nRFCpb": "nRFCpb", "nRREFD": "nRREFD", "nREFI": "nREFI", "nREFIpb": "nREFIpb",
                "tck_ps": "tCK_ps"}
SAT1 = {"per_cycle": 2}    # 2 offers per DRAM cycle: above one channel's peak (1 x 32 B per tCK)
SAT16 = {"per_cycle": 32}  # 16 channels
LIGHT = {"every": 4}       # one request per 4 tCK: a quarter of one channel's peak
LIGHT_DDR4 = {"every": 16}  # DDR4: one 64-B request per 16 tCK, a quarter of the peak (one per nBL = 4 tCK)


def _cases() -> list[dict]:
    out = []
    for m in ("RoBaRaCoCh", "MOP4CLXOR"):
        cfg = f"hbm2_1ch_{m}"
        for name, recipe, offer in (
            ("stream", dict(kind="stream", n=50000, seed=0, span=GIB), SAT1),
            ("random", dict(kind="random", n=30000, seed=1, span=GIB), SAT1),
            ("random_w25", dict(kind="random", n=30000, seed=2, span=GIB, write_pct=25), SAT1),
            ("stream_w25", dict(kind="stream", n=40000, seed=3, span=GIB, write_pct=25), SAT1),
            ("stride32k", dict(kind="stride", n=8000, seed=0, span=GIB, stride=32768), SAT1),
            ("stride8k", dict(kind="stride", n=20000, seed=0, span=GIB, stride=8192), SAT1),
            ("two_streams", dict(kind="two_streams", n=40000, seed=0, span=GIB, offset=1 << 25), SAT1),
            ("random_light", dict(kind="random", n=20000, seed=4, span=GIB), LIGHT),
            ("random_w25_light", dict(kind="random", n=20000, seed=6, span=GIB, write_pct=25), LIGHT),
        ):
            out.append(dict(name=f"{m}-{name}", config=cfg, trace=recipe, offer=offer))
    for m in ("MOP4CLXOR", "RoBaRaCoCh"):
        cfg = f"hbm2_16ch_{m}"
        out.append(dict(name=f"16ch-{m}-stream", config=cfg, trace=dict(kind="stream", n=100000, seed=0,
                                                                          span=16 * GIB), offer=SAT16))
        out.append(dict(name=f"16ch-{m}-random_w25", config=cfg, trace=dict(kind="random", n=60000, seed=5,
                                                                              span=16 * GIB, write_pct=25),
                        offer=SAT16))
    for name, recipe, offer in (
            ("stream", dict(kind="stream", n=50000, seed=0, span=GIB), SAT1),
            ("random_w25", dict(kind="random", n=30000, seed=13, span=GIB, write_pct=25), SAT1),
            ("two_streams", dict(kind="two_streams", n=40000, seed=0, span=GIB, offset=1 << 25), SAT1),
            ("random_light", dict(kind="random", n=20000, seed=14, span=GIB), LIGHT)):
        out.append(dict(name=f"perbank-MOP4CLXOR-{name}", config="hbm2_1ch_MOP4CLXOR_perbank", trace=recipe,
                        offer=offer))
    for m in ("MOP4CLXOR", "RoBaRaCoCh"):
        cfg = f"ddr4_1ch_{m}"
        for name, recipe, offer in (
            ("stream", dict(kind="stream", n=40000, seed=0, span=GIB, gran=64), SAT1),
            ("random", dict(kind="random", n=20000, seed=9, span=GIB, gran=64), SAT1),
            ("random_w25", dict(kind="random", n=20000, seed=10, span=GIB, gran=64, write_pct=25), SAT1),
            ("stream_w25", dict(kind="stream", n=40000, seed=11, span=GIB, gran=64, write_pct=25), SAT1),
            ("two_streams", dict(kind="two_streams", n=40000, seed=0, span=GIB, gran=64, offset=1 << 25), SAT1),
            ("random_light", dict(kind="random", n=10000, seed=12, span=GIB, gran=64), LIGHT_DDR4),
        ):
            out.append(dict(name=f"ddr4-{m}-{name}", config=cfg, trace=recipe, offer=offer))
    for name, recipe, offer in (
            ("random_w25", dict(kind="random", n=20000, seed=15, span=GIB, gran=64, write_pct=25), SAT1),
            ("stream", dict(kind="stream", n=40000, seed=0, span=GIB, gran=64), SAT1),
            ("two_streams", dict(kind="two_streams", n=40000, seed=0, span=GIB, gran=64, offset=1 << 25), SAT1),
            ("random_light", dict(kind="random", n=10000, seed=16, span=GIB, gran=64), LIGHT_DDR4)):
        out.append(dict(name=f"ddr4-2R-MOP4CLXOR-{name}", config="ddr4_1ch_2R_MOP4CLXOR", trace=recipe, offer=offer))
    for name, recipe in (("stream", dict(kind="stream", n=100000, seed=0, span=16 * GIB)),
                         ("stream_w25", dict(kind="stream", n=80000, seed=7, span=16 * GIB, write_pct=25)),
                         ("random_w25", dict(kind="random", n=60000, seed=8, span=16 * GIB, write_pct=25))):
        out.append(dict(name=f"tpuv3-{name}", config="tpuv3", trace=recipe, offer=SAT16))
    return out


def _load_test_module():
    sys.path.insert(0, str(TESTS))
    spec = importlib.util.spec_from_file_location("test_vs_ramulator2", TESTS / "test_vs_ramulator2.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ramulator_timing(cfg: dict) -> dict:
    """Ramulator HBM2 timing overrides for a config off the HBM2_2000Mbps preset: npusim's resolved cycle counts
    (every one: Ramulator derives its secondary timings from the preset's clock before applying overrides)."""
    if "freq_mhz" not in cfg:
        return {}
    from npusim_dram.config import DramConfig, resolve

    spec = resolve(DramConfig(**cfg), "hbm2")["spec"]
    out = {TIMING_NAMES[k]: int(spec[k]) for k in TIMING_NAMES}
    out["rate"] = round(2e6 / spec["tck_ps"])
    return out


def ramulator_components(ramu, cfg: dict, frontend, counter_dir: Path | None):
    """Ramulator 2.1 components equal to npusim's Hbm2Dram (or Ddr4Dram) defaults with cfg's mapping, channels and
    clock: HBM12 controller on HBM2_8Gb / HBM2_2000Mbps, or GenericDDR on DDR4_8Gb_x8 / DDR4_3200AA."""
    mapper = getattr(ramu.addr_mapper, cfg["address_mapping"])
    ddr4 = cfg.get("standard", "hbm2") == "ddr4"
    timing = {} if ddr4 else ramulator_timing(cfg)
    commands = ["ACT", "PREpb", "PREab", "RD", "WR", "RDA", "WRA", "REFab"] + ([] if ddr4 else ["REFpb"])
    ctrls = []
    for ch in range(cfg["channels"]):
        plugins = []
        if counter_dir is not None:
            plugins = [ramu.controller_plugin.CommandCounter(commands_to_count=commands,
                                                             path=str(counter_dir / f"cmds_{ch}.csv"))]
        if ddr4:
            ctrl = ramu.controller.GenericDDR
            ranks = {"rank": 2} if cfg.get("org_preset") == "DDR4_8Gb_x8_2R" else {}
            dram = ramu.dram.DDR4(org_preset="DDR4_8Gb_x8", timing_preset="DDR4_3200AA", **ranks)
        else:
            ctrl, dram = ramu.controller.HBM12, ramu.dram.HBM2(org_preset="HBM2_8Gb", timing_preset="HBM2_2000Mbps",
                                                               **timing)
        refresh = ramu.refresh_manager.PerBank if cfg.get("refresh") == "per_bank" else ramu.refresh_manager.AllBank
        ctrls.append(ctrl(
            dram=dram, scheduler=ramu.scheduler.FRFCFS(), refresh_manager=refresh(),
            row_policy=ramu.row_policy.Open(), addr_mapper=mapper(),
            read_buffer_size=32, write_buffer_size=32, wr_high_watermark=0.8, wr_low_watermark=0.2,
            controller_plugins=plugins))
    mem = ramu.memory_system.GenericDRAM(clock_ratio=1, controllers=ctrls,
                                         channel_mapper=ramu.channel_mapper.CacheLineInterleave())
    return frontend, mem


def _stats_blocks(text: str) -> dict:
    """The driver's stdout: '--- TAG clk N' headers, each followed by Ramulator's stats YAML."""
    out, tag, buf = {}, None, []
    for line in text.splitlines():
        if line.startswith("--- "):
            if tag:
                out[tag] = yaml.safe_load("\n".join(buf))
            parts = line.split()
            tag, buf = parts[1], []
            out[tag + "_clk"] = int(parts[3])
        elif tag:
            buf.append(line)
    if tag:
        out[tag] = yaml.safe_load("\n".join(buf))
    return out


def _controllers(stats: dict) -> list[dict]:
    ms = stats["memory_system"]
    c = ms["controller"]
    return c if isinstance(c, list) else [c]


def convert(records: np.ndarray, ctrl_stats: list[dict], cmds: dict, timing: dict, req_bytes: int = 32) -> dict:
    """Ramulator results in npusim's convention: cycle c of Ramulator's controller = npusim edge c - 1.

    Reads complete at `depart` (RD issue + nCL + nBL); writes at their WR issue in Ramulator, at WR issue +
    nCWL + nBL in npusim (its completion includes the write burst), so the end time adds that for writes."""
    acc, done, wr = records[:, 0], records[:, 1], records[:, 2].astype(bool)
    end_rd = int(done[~wr].max()) - 1 if (~wr).any() else 0
    end_wr = int(done[wr].max()) - 1 + timing["nCWL"] + timing["nBL"] if wr.any() else 0
    lat = (done[~wr] - acc[~wr]).astype(np.float64)
    s = lambda k: int(sum(c[k] for c in ctrl_stats))  # noqa: E731
    end = max(end_rd, end_wr)
    return {
        "end_cycles": end,
        "avg_read_latency_cycles": float(lat.mean() - 1.0) if len(lat) else 0.0,
        "avg_read_latency_cycles_ramulator": float(lat.mean()) if len(lat) else 0.0,
        "bandwidth_gbps": float(req_bytes) * len(records) / (end * timing["tCK_ps"] / 1000.0),
        "row_hits": s("row_hits"), "row_misses": s("row_misses"), "row_conflicts": s("row_conflicts"),
        "reads": int((~wr).sum()), "writes": int(wr.sum()),
        "reads_forwarded": s("num_read_reqs_forwarded"), "writes_coalesced": s("num_write_reqs_coalesced"),
        "ACT": cmds.get("ACT", 0), "PRE": cmds.get("PREpb", 0) + cmds.get("PREab", 0),
        "RD": cmds.get("RD", 0) + cmds.get("RDA", 0) + s("num_read_reqs_forwarded"),
        "WR": cmds.get("WR", 0) + cmds.get("WRA", 0) + s("num_write_reqs_coalesced"),
        "REF": cmds.get("REFab", 0) + cmds.get("REFpb", 0),
    }


# Reference variants: Ramulator 2.1 as configured above, then with one known difference to npusim removed at a
# time through Ramulator's own configuration (no Ramulator code changed): its HBM2 ACT as a 1-cycle command (the
# DSL's command_cycles emptied), and its FRFCFS-RowHit scheduler (no PRE for a request younger than a queued row
# hit). npusim runs each variant with the matching settings (the test's NPUSIM_AS).
VARIANTS = {
    "ramulator2": dict(act1=False, scheduler="FRFCFS"),
    "ramulator2_act1": dict(act1=True, scheduler="FRFCFS"),
    "ramulator2_act1_rowhit": dict(act1=True, scheduler="FRFCFSRowHit"),
}


def run_ramulator(ramu, binary: Path, case: dict, tmp: Path, tmod, act1: bool = False,
                  scheduler: str = "FRFCFS") -> tuple[dict, str, dict]:
    """(converted metrics, exported YAML, raw driver stats) of one case through the compiled driver, in a
    variant (see VARIANTS)."""
    saved = ramu.dram.HBM2.command_cycles, ramu.scheduler.FRFCFS
    if act1:
        ramu.dram.HBM2.command_cycles = {}
    ramu.scheduler.FRFCFS = getattr(ramu.scheduler, scheduler)
    try:
        return _run_ramulator(ramu, binary, case, tmp, tmod)
    finally:
        ramu.dram.HBM2.command_cycles, ramu.scheduler.FRFCFS = saved


def _run_ramulator(ramu, binary: Path, case: dict, tmp: Path, tmod) -> tuple[dict, str, dict]:
    cfg = CONFIGS[case["config"]]
    addrs, writes = tmod.make_trace(case["trace"])
    trace = tmp / f"{case['name']}.trace"
    trace.write_text("".join(f"{'ST' if w else 'LD'} {a:#x}\n" for a, w in zip(addrs.tolist(), writes.tolist())))
    cdir = tmp / case["name"]
    cdir.mkdir(exist_ok=True)
    fe, mem = ramulator_components(ramu, cfg, ramu.frontend.External(clock_ratio=1), cdir)
    conf = {"frontend": fe.to_config(), "memory_system": mem.to_config()}
    cfg_path = tmp / f"{case['name']}.yaml"
    cfg_path.write_text(yaml.safe_dump(conf, default_flow_style=None, sort_keys=False))
    k = case["offer"].get("per_cycle", 1)
    p = case["offer"].get("every", 1)
    out = tmp / f"{case['name']}.bin"
    res = subprocess.run([str(binary), str(cfg_path), str(trace), str(k), str(p), str(out)],
                         capture_output=True, text=True, check=True)
    stats = _stats_blocks(res.stdout)
    records = np.fromfile(out, dtype=np.int64).reshape(-1, 3)
    cmds: dict = {}
    for f in cdir.glob("cmds_*.csv"):
        for line in f.read_text().splitlines():
            name, count = (x.strip() for x in line.split(","))
            cmds[name] = cmds.get(name, 0) + int(count)
    std = ramu.dram.DDR4 if cfg.get("standard", "hbm2") == "ddr4" else ramu.dram.HBM2
    timing = dict(zip(std.timing_params, conf["memory_system"]["controllers"][0]["dram"]["timing"]))
    metrics = convert(records, _controllers(stats["drained"]), cmds, timing, cfg.get("req_bytes", 32))
    metrics["ramulator_cycles_at_last_accept"] = stats["at_last_accept_clk"]
    metrics["ramulator_cycles_drained"] = stats["drained_clk"]
    ms = _strip_plugins(conf["memory_system"])
    nctrl = len(ms["controllers"])
    ms["controllers"] = ms["controllers"][:1]
    ys = (f"# memory_system.controllers: the one listed, {nctrl}x (one per channel)\n"
          + yaml.safe_dump({"frontend": {"impl": "External", "clock_ratio": 1}, "memory_system": ms},
                           default_flow_style=None, sort_keys=False, width=110))
    return metrics, ys, stats


def _strip_plugins(ms: dict) -> dict:
    """The memory-system config without the CommandCounter plugins (their paths are temporary)."""
    ms = json.loads(json.dumps(ms))
    for c in ms["controllers"]:
        c.pop("controller_plugins", None)
    return ms


def crosscheck(ramu, case: dict, tmp: Path, driver_stats: dict) -> None:
    """Ramulator's own Simulation loop with the LoadStoreTrace frontend: the same stats as the driver's at the
    last accepted request (Simulation::run stops there)."""
    cfg = CONFIGS[case["config"]]
    fe = ramu.frontend.LoadStoreTrace(clock_ratio=case["offer"]["per_cycle"], path=str(tmp / f"{case['name']}.trace"))
    fe, mem = ramulator_components(ramu, cfg, fe, None)
    sim = ramu.Simulation(fe, mem)
    sim.run()
    mine = _controllers(sim.stats)
    theirs = _controllers(driver_stats["at_last_accept"])
    keys = ("cycles", "row_hits", "row_misses", "row_conflicts", "num_read_reqs", "num_write_reqs",
            "num_read_reqs_served", "read_latency")
    for a, b in zip(mine, theirs):
        diff = {key: (a[key], b[key]) for key in keys if a[key] != b[key]}
        if diff:
            raise SystemExit(f"{case['name']}: LoadStoreTrace/Simulation differs from the driver: {diff}")


def main() -> None:
    """Run every case through Ramulator (each variant) and npusim, print the tables, optionally record."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ramulator", help="built Ramulator 2.1 source tree")
    ap.add_argument("--recorded", action="store_true", help="compare today's npusim with the stored reference "
                    "(no Ramulator needed)")
    ap.add_argument("--markdown", action="store_true", help="with --recorded: also the README's markdown table")
    ap.add_argument("--commit", default="", help="Ramulator commit (default: git -C DIR rev-parse HEAD)")
    ap.add_argument("--write", action="store_true", help=f"write {REFERENCE.relative_to(ROOT)}")
    ap.add_argument("--crosscheck", action="store_true", help="also run LoadStoreTrace via Simulation::run")
    ap.add_argument("-k", dest="only", default="", help="only cases whose name contains this")
    args = ap.parse_args()
    if args.recorded:
        return recorded(args.markdown)
    if not args.ramulator:
        raise SystemExit("--ramulator DIR is required (or --recorded)")
    if args.write and args.only:
        raise SystemExit("--write records every case: drop -k")
    rdir = Path(args.ramulator).resolve()
    commit = args.commit or subprocess.run(["git", "-C", str(rdir), "rev-parse", "HEAD"], capture_output=True,
                                           text=True).stdout.strip()
    if len(commit) != 40:
        raise SystemExit(f"--commit: need the 40-hex Ramulator commit (got {commit!r})")
    sys.path.insert(0, str(rdir / "python"))
    import ramulator as ramu

    tmod = _load_test_module()
    tmp = Path(tempfile.mkdtemp(prefix="npusim_ramu_"))
    binary = tmp / "ramulator2_replay"
    subprocess.run(["g++", "-std=c++20", "-O2", f"-I{rdir / 'src'}", f"-I{rdir / 'ext' / 'fmt' / 'include'}",
                    f"-I{rdir / 'ext' / 'yaml-cpp' / 'include'}", str(DRIVER), f"-L{rdir}", "-lramulator",
                    f"-Wl,-rpath,{rdir}", "-o", str(binary)], check=True)
    cases = [c for c in _cases() if args.only in c["name"]]
    ref = {"ramulator2": {
        "repo": "github.com/CMU-SAFARI/ramulator2", "version": "2.1.0", "commit": commit,
        "driver": str(DRIVER.relative_to(ROOT)),
        "how": "HBM12 controller, HBM2 HBM2_8Gb / HBM2_2000Mbps, FRFCFS, AllBank, Open, 32/32 buffers, "
               "CacheLineInterleave channels; External frontend offering like LoadStoreTrace (per_cycle K: "
               "K requests per DRAM cycle, 1 before the first tick) or like npusim's fixed-rate replay (every P: "
               "request i from cycle i*P on), ticked until every request completed",
        "convention": "npusim edges: Ramulator cycle c = npusim edge c - 1; latency = depart - arrive - 1; "
                      "write completion = WR issue + nCWL + nBL",
    }, "configs": {}, "cases": []}
    tables: dict[str, list] = {v: [] for v in VARIANTS}
    for case in cases:
        entry = dict(case)
        conf = ref["configs"].setdefault(case["config"], {"npusim": CONFIGS[case["config"]]})
        for v, opts in VARIANTS.items():
            ram, ys, stats = run_ramulator(ramu, binary, case, tmp, tmod, **opts)
            if v == "ramulator2" and args.crosscheck and "per_cycle" in case["offer"]:
                crosscheck(ramu, case, tmp, stats)  # fixed-rate offers differ from LoadStoreTrace's
            conf[f"{v}_yaml"] = ys
            entry[v] = ram
            params, timing = tmod.NPUSIM_AS[v]
            npu = tmod.run_npusim({**CONFIGS[case["config"]], **params}, case["trace"], case["offer"], timing=timing)
            bad = tmod.compare(npu, ram, case["trace"]["n"], "every" in case["offer"])
            tables[v].append((case["name"], npu, ram, bad))
            print(f"{case['name']} {v}: {'ok' if not bad else '; '.join(bad)}", flush=True)
        ref["cases"].append(entry)
    for v, opts in VARIANTS.items():
        print(f"\nnpusim vs {v}: Ramulator 2.1, ACT {'1 cycle' if opts['act1'] else '2 cycles'}, {opts['scheduler']}")
        _print_table(tables[v])
    if args.write:
        REFERENCE.write_text(json.dumps(ref, indent=1) + "\n")
        print(f"wrote {REFERENCE.relative_to(ROOT)}")


def recorded(markdown: bool) -> None:
    """Print today's npusim against every recorded reference variant (and the README table with markdown)."""
    tmod = _load_test_module()
    ref = tmod._reference()
    rows: dict[str, list] = {v: [] for v in VARIANTS}
    for case in ref["cases"]:
        for v in VARIANTS:
            npu, ram = tmod._npusim(case, v), case[v]
            bad = tmod.compare(npu, ram, case["trace"]["n"], "every" in case["offer"])
            rows[v].append((case["name"], npu, ram, bad))
    for v, opts in VARIANTS.items():
        print(f"\nnpusim vs {v}: Ramulator 2.1 {ref['ramulator2']['commit'][:8]}, ACT "
              f"{'1 cycle' if opts['act1'] else '2 cycles'}, {opts['scheduler']} (npusim set the same way)")
        _print_table(rows[v])
        bad = [name for name, *_, b in rows[v] if b]
        print(f"{len(rows[v]) - len(bad)} of {len(rows[v])} agree within the test's tolerances"
              + (f"; outside: {', '.join(bad)}" if bad else ""))
    if markdown:
        print("\n| case | npusim end cyc (GB/s) | Ramulator 2.1 end cyc (GB/s) | Δ | Δ, 1-cycle ACT | "
              "Δ, 1-cycle ACT + FRFCFS-RowHit | read lat npusim / R2.1 (cyc) | ACT npusim / R2.1 |")
        print("|---|---|---|---|---|---|---|---|")
        d = lambda n, r: f"{100.0 * (n['end_cycles'] - r['end_cycles']) / r['end_cycles']:+.1f}%"  # noqa: E731
        for i, (name, n, r, _) in enumerate(rows["ramulator2"]):
            a = rows["ramulator2_act1"][i]
            h = rows["ramulator2_act1_rowhit"][i]
            print(f"| {name} | {n['end_cycles']} ({n['bandwidth_gbps']:.1f}) | {r['end_cycles']} "
                  f"({r['bandwidth_gbps']:.1f}) | {d(n, r)} | {d(a[1], a[2])} | {d(h[1], h[2])} | "
                  f"{n['avg_read_latency_cycles']:.1f} / {r['avg_read_latency_cycles']:.1f} | "
                  f"{n['ACT']} / {r['ACT']} |")


def _print_table(rows) -> None:
    """One line per case: npusim / Ramulator end time, bandwidth, read latency, row outcomes, ACT, REF."""
    hdr = (f"{'case':<28} {'end cyc npu/ram':>17} {'d%':>6} {'GB/s npu/ram':>13} {'rd lat npu/ram':>15} "
           f"{'hit/miss/conf npusim':>21} {'hit/miss/conf ramulator':>24} {'ACT npu/ram':>13} {'REF n/r':>8}")
    print(hdr)
    print("-" * len(hdr))
    for name, n, r, _ in rows:
        d = 100.0 * (n["end_cycles"] - r["end_cycles"]) / r["end_cycles"]
        print(f"{name:<28} {n['end_cycles']:>8}/{r['end_cycles']:<8} {d:>6.1f} "
              f"{n['bandwidth_gbps']:>6.1f}/{r['bandwidth_gbps']:<6.1f} "
              f"{n['avg_read_latency_cycles']:>7.1f}/{r['avg_read_latency_cycles']:<7.1f} "
              f"{n['row_hits']:>7}/{n['row_misses']}/{n['row_conflicts']:<5} "
              f"{r['row_hits']:>9}/{r['row_misses']}/{r['row_conflicts']:<6} "
              f"{n['ACT']:>6}/{r['ACT']:<6} {n['REF']:>3}/{r['REF']:<4}")


if __name__ == "__main__":
    main()
