"""int8 paths: torch._int_mm (int8 x int8 -> int32) as an int8 GEMM, a per-token/per-channel quantized
linear, int8 elementwise kernels; 1-byte DMA and vector packing, outputs equal to eager."""
import torch
from npusim.config import load_config

import npusim


class Int8Linear(torch.nn.Module):
    """Symmetric int8 linear: per-channel int8 weights, activations quantized per token on the fly."""

    def __init__(self, k: int, n: int):
        super().__init__()
        w = torch.randn(n, k)
        sw = w.abs().amax(1, keepdim=True) / 127
        self.register_buffer("wq", (w / sw).round().clamp(-127, 127).to(torch.int8))
        self.register_buffer("sw", sw.t().contiguous())

    def forward(self, x):
        sx = x.abs().amax(1, keepdim=True).clamp_min(1e-8) / 127
        xq = (x / sx).round().clamp(-127, 127).to(torch.int8)
        return torch._int_mm(xq, self.wq.t()).float() * sx * self.sw


def run(fn, *inputs, fusion="all"):
    m = load_config("tpuv3", overrides={"sim.compiler_optimization": fusion})
    comp = npusim.compile(fn, config=m)
    with torch.no_grad():
        out = comp(*inputs)
    res = comp.last_result
    assert res.extra["functional_check"]["status"] == "passed", res.extra["functional_check"]
    assert res.extra["untimed_ops"] == []
    return out, res, comp.session.graphs[-1].kernels


def test_int_mm_is_an_int8_gemm_with_one_byte_operands():
    a = torch.randint(-128, 128, (256, 256), dtype=torch.int8)
    b = torch.randint(-128, 128, (256, 256), dtype=torch.int8)
    out, res, ks = run(lambda x, y: torch._int_mm(x, y), a, b)
    assert torch.equal(out, torch._int_mm(a, b))  # int32 accumulation, exact
    assert [(k.op, k.dtype, k.params) for k in ks] == [("gemm", "int8", {"c_bytes": 4})]
    _, res32, _ = run(lambda x, y: x @ y, a.float(), b.float())
    i8 = res.to_dict()["kernels"][0]["dram_bytes"]
    f32 = res32.to_dict()["kernels"][0]["dram_bytes"]
    assert i8 <= 2 * 256 * 256 + 4 * 256 * 256 < f32  # A and B at one byte per element
    assert res.total_cycles < res32.total_cycles


def test_quantized_linear_matches_eager():
    torch.manual_seed(0)
    model = Int8Linear(96, 80).eval()
    x = torch.randn(64, 96)
    out, res, ks = run(model, x)
    torch.testing.assert_close(out, model(x), rtol=0, atol=0)
    gemm = next(k for k in ks if k.op == "gemm")
    # per-token quantization of x runs on each loaded A tile (fp32 in DRAM), int8 weights, fp32 dequant out
    assert gemm.dtype == "int8" and gemm.params["a_bytes"] == 4 and gemm.params["c_bytes"] == 4
    assert gemm.prologue and gemm.epilogue


def test_int8_vector_kernels_pack_four_times_more_elements():
    x = torch.randint(-100, 100, (512, 512), dtype=torch.int8)
    _, r8, k8 = run(lambda t: (t.clamp(-50, 50) * 2).relu(), x)
    _, r32, k32 = run(lambda t: (t.clamp(-50, 50) * 2).relu(), x.float())
    assert [k.dtype for k in k8] == ["int8"] and [k.dtype for k in k32] == ["fp32"]
    assert r8.to_dict()["kernels"][0]["dram_bytes"] * 4 == r32.to_dict()["kernels"][0]["dram_bytes"]
    assert r8.total_cycles < r32.total_cycles
