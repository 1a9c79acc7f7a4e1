"""Workload specs -> (torch module, example inputs): micro-benchmarks (gemm:M,N,K ...) and zoo names (NAME[:test])."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from npusim.errors import WorkloadError
from npusim.workloads import SPEC_HELP, parse_spec

from npusim_frontends import zoo

TORCH_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


class MatMul(torch.nn.Module):
    """x[M,K] @ W[K,N] (gemm spec)."""

    def __init__(self, k: int, n: int):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(k, n) / k ** 0.5)

    def forward(self, x):
        return x @ self.w


class BatchMatMul(torch.nn.Module):
    """a[B,M,K] @ b[B,K,N] (bmm spec)."""

    def forward(self, a, b):
        return torch.bmm(a, b)


class Attention(torch.nn.Module):
    """softmax(q k^T / sqrt(d)) v over HEADS heads (attention spec)."""

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v)


class Softmax(torch.nn.Module):
    """Row softmax (softmax spec)."""

    def forward(self, x):
        return torch.softmax(x, -1)


def micro(kind: str, a: list[int]):
    """(module, inputs) of a micro-benchmark spec."""
    torch.manual_seed(0)
    if kind == "gemm":
        m, n, k = a
        return MatMul(k, n), (torch.randn(m, k),)
    if kind == "bmm":
        b, m, n, k = a
        return BatchMatMul(), (torch.randn(b, m, k), torch.randn(b, k, n))
    if kind == "conv":
        b, h, w, cin, cout, k, stride, pad = a
        conv = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=pad, bias=False)
        return conv, (torch.randn(b, cin, h, w),)
    if kind == "attention":
        heads, seq, dim = a
        return Attention(), tuple(torch.randn(1, heads, seq, dim) for _ in range(3))
    if kind == "layernorm":
        rows, cols = a
        return torch.nn.LayerNorm(cols), (torch.randn(rows, cols),)
    if kind == "softmax":
        rows, cols = a
        return Softmax(), (torch.randn(rows, cols),)
    if kind == "encoder":
        hidden, heads, seq = a
        layer = torch.nn.TransformerEncoderLayer(hidden, heads, 4 * hidden, dropout=0.0, batch_first=True)
        return layer.eval(), (torch.randn(1, seq, hidden),)
    raise WorkloadError(f"unknown workload kind {kind!r} (valid: {SPEC_HELP})")


def build(spec: str, dtype: str = "fp32"):
    """(torch.nn.Module, example_inputs) for `spec`: a micro-benchmark or a zoo name, `NAME:test` for test size."""
    parsed = parse_spec(spec)
    if parsed is not None:
        model, inputs = micro(*parsed)
    else:
        name, _, size = spec.partition(":")
        model, inputs = zoo.build_model(name, size or "full")
    td = TORCH_DTYPES.get(dtype)
    if td is None:
        raise WorkloadError(f"sim.dtype {dtype!r} is not supported by the torch frontend "
                            f"(valid: {', '.join(TORCH_DTYPES)})")
    if td is not torch.float32:
        model = model.to(td)
        inputs = tuple(x.to(td) if x.is_floating_point() else x for x in inputs)
    return model.eval(), inputs
