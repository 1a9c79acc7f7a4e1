"""Fusion passes on one BERT-base encoder layer (HF BertLayer, hidden 768, 12 heads, FFN 3072): kernels,
DRAM bytes and cycles per codegen_compiler_optimization setting, and the functional check.
Also: a weight-only int8 BERT FFN up-projection (prologue) and a hand-written LayerNorm
(d = x - mean shared by the variance and the normalize: reduction_reduction).

    python benchmarks/frontends_fusion.py [--seq 128] [--batch 1] [--config tpuv3] [--workload NAME]
"""
from __future__ import annotations

import argparse
import time

import torch
from rich.console import Console
from rich.table import Table

SETTINGS = [
    ("none", "none"),
    ("fusion (epilogues, chains)", ["fusion"]),
    ("fusion + reduction_epilogue", ["fusion", "reduction_epilogue"]),
    ("fusion + reduction_reduction", ["fusion", "reduction_reduction"]),
    ("fusion + prologue", ["fusion", "prologue"]),
    ("all", "all"),
]


def bert_layer(seq: int, batch: int):
    """A BERT-base encoder layer in eval mode and its hidden-state input."""
    from transformers import BertConfig
    from transformers.models.bert.modeling_bert import BertLayer

    cfg = BertConfig(hidden_size=768, num_attention_heads=12, intermediate_size=3072, attn_implementation="sdpa")
    layer = BertLayer(cfg).eval()

    class Layer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, h):
            out = self.layer(h)
            return out[0] if isinstance(out, tuple) else out

    return Layer().eval(), torch.randn(batch, seq, 768)


class W8Linear(torch.nn.Module):
    """Weight-only int8 linear (per-channel scales, dequantized on load) followed by GELU."""

    def __init__(self, k: int, n: int):
        super().__init__()
        self.register_buffer("wq", torch.randint(-127, 128, (n, k), dtype=torch.int8))
        self.register_buffer("scale", torch.rand(n, 1) / 127)

    def forward(self, x):
        return torch.nn.functional.gelu(x @ (self.wq.float() * self.scale).t())


class HandLayerNorm(torch.nn.Module):
    """LayerNorm as often hand-written: two reductions over x, x - mean read by both the variance and the output."""

    def forward(self, x):
        d = x - x.mean(-1, keepdim=True)
        return d * torch.rsqrt((d * d).mean(-1, keepdim=True) + 1e-5)


def workload(name: str, seq: int, batch: int):
    if name == "bert-layer":
        return bert_layer(seq, batch), f"BERT-base layer, batch {batch}, seq {seq}"
    x = torch.randn(batch * seq, 768)
    if name == "w8-ffn-up":
        return (W8Linear(768, 3072).eval(), x), f"int8-weight FFN up-projection {batch * seq}x768x3072 + GELU"
    return (HandLayerNorm().eval(), x), f"hand-written LayerNorm {batch * seq}x768"


def run(model, x, fusion, config: str) -> dict:
    import npusim
    from npusim.config import load_config

    machine = load_config(config, overrides={"sim.compiler_optimization": fusion})
    torch._dynamo.reset()
    comp = npusim.compile(model, config=machine)
    t0 = time.process_time()
    with torch.no_grad():
        comp(x)
    cpu = time.process_time() - t0
    res = comp.last_result
    d = res.to_dict()
    return {"kernels": res.extra["num_kernels"], "bytes": d["dram"]["bytes"], "cycles": res.total_cycles,
            "check": res.extra["functional_check"], "cpu_s": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--config", default="tpuv3")
    ap.add_argument("--workload", default="bert-layer", choices=("bert-layer", "w8-ffn-up", "hand-layernorm"))
    args = ap.parse_args()
    torch.manual_seed(0)
    (model, x), title = workload(args.workload, args.seq, args.batch)
    table = Table(title=f"{title}, {args.config}")
    for col in ("setting", "kernels", "DRAM MB", "cycles", "vs none", "functional", "max abs err", "CPU s"):
        table.add_column(col, justify="left" if col == "setting" else "right")
    base = None
    for label, fusion in SETTINGS:
        r = run(model, x, fusion, args.config)
        base = base or r["cycles"]
        table.add_row(label, str(r["kernels"]), f"{r['bytes'] / 1e6:.3f}", f"{r['cycles']:,}",
                      f"{r['cycles'] / base:.3f}", r["check"]["status"], f"{r['check']['max_abs_err']:.2e}",
                      f"{r['cpu_s']:.1f}")
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
