"""End to end: zoo models (test size) and micro-benchmark specs through torch.compile -> npusim, outputs vs eager."""
import warnings

import pytest
import torch

import npusim
from npusim_frontends import workloads

FAST = ["resnet18:test", "resnet50:test", "bert-base:test", "gpt2:test", "vit-b16:test", "llama:test",
        "deepseek-moe:test"]
SLOW = ["bert-large:test", "mistral:test", "llama4:test", "unet:test"]
MICRO = ["gemm:64,48,32", "bmm:2,16,8,24", "conv:1,10,10,3,8,3,2,1", "attention:2,16,8", "layernorm:12,40",
         "softmax:12,40", "encoder:32,4,8"]


def check(spec):
    torch._dynamo.reset()
    model, inputs = workloads.build(spec)
    with torch.no_grad():
        want = model(*inputs)
    comp = npusim.compile(model, config="tpuv3")
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=UserWarning)  # an untimed op would warn
        warnings.filterwarnings("ignore", message=".*(deprecated|Profiler|TypedStorage).*")
        with torch.no_grad():
            got = comp(*inputs)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    assert comp.results, "no graph was simulated"
    for res in comp.results:
        d = res.to_dict()
        assert d["functional_check"]["status"] == "passed", d["functional_check"]
        assert d["untimed_ops"] == []
        assert res.total_cycles > 0
        assert all(k["cycles"] > 0 for k in res.kernels)


@pytest.mark.parametrize("spec", FAST + MICRO)
def test_workload_matches_eager(spec):
    check(spec)


@pytest.mark.slow
@pytest.mark.parametrize("spec", SLOW)
def test_workload_matches_eager_slow(spec):
    check(spec)


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["resnet50", "bert-base"])
def test_full_size(spec):
    from npusim.config import load_config

    from npusim_frontends.frontend import run_workload

    res = run_workload(spec, load_config("tpuv3"), progress=False)
    assert res.extra["functional_check"]["status"] == "passed"
    assert res.extra["untimed_ops"] == []
    assert res.total_cycles > 0


@pytest.mark.parametrize("dtype,torch_dtype", [("bf16", torch.bfloat16), ("fp16", torch.float16)])
def test_low_precision_kernels_and_check(dtype, torch_dtype):
    """Low precision: kernels carry the dtype; the check uses the documented bounds (bf16 2e-2, fp16 2e-3)."""
    torch._dynamo.reset()
    model, inputs = workloads.build("encoder:64,4,16", dtype=dtype)
    comp = npusim.compile(model, config="tpuv3")
    with torch.no_grad():
        got = comp(*inputs)
    assert got.dtype == torch_dtype
    kernels = comp.session.graphs[-1].kernels
    assert {k.dtype for k in kernels if k.op in ("gemm", "bmm")} == {dtype}
    assert comp.last_result.extra["functional_check"]["status"] == "passed"
