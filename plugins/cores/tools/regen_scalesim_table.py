"""Regenerate tests/data/scalesim_cycles.json by running SCALE-Sim v3 itself on the parity shapes.

Run with the interpreter of a throwaway venv that has SCALE-Sim installed:
    python3 -m venv /tmp/scalesim && /tmp/scalesim/bin/pip install scalesim "numpy<2.4"
    /tmp/scalesim/bin/python plugins/cores/tools/regen_scalesim_table.py [--only NAME_SUBSTRING]
GEMMs run in SCALE-Sim's GEMM mode (M,N,K); ResNet-18 convolutions run in its convolution mode
(SCALE-Sim does the im2col itself; inputs are given pre-padded since SCALE-Sim has no padding).
The table stores SCALE-Sim's "Total Cycles" and "Stall Cycles"; compute cycles = total - stall.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "scalesim_cycles.json"
DATAFLOWS = ("ws", "os", "is")

# (name, M, N, K, rows, cols)
GEMMS = [
    ("gemm512_128x128", 512, 512, 512, 128, 128),
    ("gemm256_128x128", 256, 256, 256, 128, 128),
    ("gemm_awkward_a_128x128", 300, 77, 129, 128, 128),
    ("gemm_awkward_b_128x128", 1, 1000, 512, 128, 128),
    ("gemm_awkward_c_32x32", 97, 65, 33, 32, 32),
    ("gemm_awkward_d_16x8", 50, 23, 17, 16, 8),
    ("gemm_awkward_e_8x16", 7, 3, 129, 8, 16),
    ("gemm_tiny_8x8", 1, 1, 1, 8, 8),
]

# ResNet-18 (batch 1, 224x224) convolutions: (name, H_in, W_in, R, S, C, K_filters, stride).
# H_in is the padded input extent the convolution actually reads, (H_out - 1) * stride + R: PyTorch floors
# the output size while SCALE-Sim ceils it (topology_utils.py), so the trailing padded row/column that
# PyTorch never reads (e.g. 230 -> 229 for conv1) is left out and both give H_out (112 for conv1).
CONVS = [
    ("resnet18_conv1", 229, 229, 7, 7, 3, 64, 2),
    ("resnet18_layer1_conv3x3", 58, 58, 3, 3, 64, 64, 1),
    ("resnet18_layer2_conv3x3_s2", 57, 57, 3, 3, 64, 128, 2),
    ("resnet18_layer2_downsample", 55, 55, 1, 1, 64, 128, 2),
    ("resnet18_layer2_conv3x3", 30, 30, 3, 3, 128, 128, 1),
    ("resnet18_layer3_conv3x3_s2", 29, 29, 3, 3, 128, 256, 2),
    ("resnet18_layer3_conv3x3", 16, 16, 3, 3, 256, 256, 1),
    ("resnet18_layer4_conv3x3_s2", 15, 15, 3, 3, 256, 512, 2),
    ("resnet18_layer4_conv3x3", 9, 9, 3, 3, 512, 512, 1),
]
CONV_ARRAY = (128, 128)

CFG = """[general]
run_name = parity

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: 65536
FilterSramSzkB: 65536
OfmapSramSzkB: 65536
IfmapOffset: 0
FilterOffset: 100000000
OfmapOffset: 200000000
Bandwidth: 10
Dataflow: {df}
MemoryBanks: 1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2
"""


def run_scalesim(topo_line: str, gemm: bool, rows: int, cols: int, df: str) -> tuple[int, int]:
    """Run SCALE-Sim on one layer; return (total cycles, stall cycles) from its COMPUTE_REPORT.csv."""
    from scalesim.scale_sim import scalesim

    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "parity.cfg"
        cfg.write_text(CFG.format(rows=rows, cols=cols, df=df))
        topo = Path(tmp) / "layer.csv"
        header = "Layer, M, N, K,\n" if gemm else ("Layer name, IFMAP Height, IFMAP Width, Filter Height, "
                                                  "Filter Width, Channels, Num Filter, Strides,\n")
        topo.write_text(header + topo_line + ",\n")
        layout = Path(tmp) / "layout.csv"  # SCALE-Sim requires a layout file; custom layouts are off
        layout.write_text("Layer name,\n")
        sim = scalesim(save_disk_space=True, verbose=False, config=str(cfg), topology=str(topo),
                       layout=str(layout), input_type_gemm=gemm)
        with contextlib.redirect_stdout(io.StringIO()):
            sim.run_scale(top_path=tmp)
        with open(Path(tmp) / "parity" / "COMPUTE_REPORT.csv") as f:
            rows_ = list(csv.reader(f))
    hdr = [h.strip() for h in rows_[0]]
    vals = [v.strip() for v in rows_[1]]
    return int(float(vals[hdr.index("Total Cycles")])), int(float(vals[hdr.index("Stall Cycles")]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="run only cases whose name contains this string")
    args = ap.parse_args()
    import scalesim as _s

    table = json.loads(OUT.read_text()) if OUT.exists() else {"cases": []}
    cases = {(c["name"], c["dataflow"]): c for c in table["cases"]}
    for name, m, n, k, rows, cols in GEMMS:
        for df in DATAFLOWS:
            if args.only not in name:
                continue
            total, stall = run_scalesim(f"{name}, {m}, {n}, {k}", True, rows, cols, df)
            cases[(name, df)] = {"name": name, "kind": "gemm", "M": m, "N": n, "K": k, "rows": rows,
                                 "cols": cols, "dataflow": df, "total_cycles": total,
                                 "stall_cycles": stall, "compute_cycles": total - stall}
            print(name, df, total, stall, flush=True)
    for name, h, w, r, s, c, kf, st in CONVS:
        for df in DATAFLOWS:
            if args.only not in name:
                continue
            total, stall = run_scalesim(f"{name}, {h}, {w}, {r}, {s}, {c}, {kf}, {st}", False, *CONV_ARRAY, df)
            ho, wo = -(-(h - r + st) // st), -(-(w - s + st) // st)  # SCALE-Sim's own output size
            assert ((h - r) % st, (w - s) % st) == (0, 0), f"{name}: H_in must be (H_out-1)*stride+R"
            cases[(name, df)] = {"name": name, "kind": "conv_im2col", "M": ho * wo, "N": kf, "K": r * s * c,
                                 "conv": {"H_in": h, "W_in": w, "R": r, "S": s, "C": c, "stride": st},
                                 "rows": CONV_ARRAY[0], "cols": CONV_ARRAY[1], "dataflow": df,
                                 "total_cycles": total, "stall_cycles": stall, "compute_cycles": total - stall}
            print(name, df, total, stall, flush=True)
    out = {"generator": "plugins/cores/tools/regen_scalesim_table.py",
           "scalesim_version": getattr(_s, "__version__", "3.0.0 (pip scalesim)"),
           "note": "compute_cycles = SCALE-Sim Total Cycles - Stall Cycles (ideal memory)",
           "cases": sorted(cases.values(), key=lambda c: (c["name"], c["dataflow"]))}
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n")
    os.replace(tmp, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
