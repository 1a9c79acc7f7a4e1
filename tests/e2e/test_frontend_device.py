"""EXPERIMENTAL npu device: model.to(npusim.device()); torch.compile(model)(x.to(dev)) is simulated and right."""
import warnings

import pytest
import torch

import npusim
from npusim_frontends import npu_device, workloads


@pytest.fixture(scope="module")
def dev():
    return npusim.device()


FAST = ["conv:1,8,8,3,4,3,2,1", "bert-base:test", "llama:test", "deepseek-moe:test"]
SLOW = ["resnet18:test", "resnet50:test", "bert-large:test", "gpt2:test", "vit-b16:test", "mistral:test",
        "llama4:test", "unet:test"]


@pytest.mark.parametrize("spec", FAST + [pytest.param(s, marks=pytest.mark.slow) for s in SLOW])
def test_zoo_model_on_device_matches_eager(dev, spec):
    torch._dynamo.reset()
    model, inputs = workloads.build(spec)
    with torch.no_grad():
        want = model(*inputs)
    start = len(npu_device.session().results)
    model.to(dev)
    assert next(model.parameters()).device.type == "npu"
    with torch.no_grad():
        got = torch.compile(model)(*[x.to(dev) for x in inputs])
    assert got.device.type == "npu"
    torch.testing.assert_close(got.cpu(), want, rtol=1e-4, atol=1e-4)
    results = npu_device.session().results[start:]
    assert results and all(r.extra["functional_check"]["status"] == "passed" for r in results)
    assert all(r.total_cycles > 0 and r.extra["untimed_ops"] == [] for r in results)


def test_eager_ops_on_device_are_reported(dev):
    x = torch.randn(3).to(dev)
    before = len(npu_device.eager_ops())
    with pytest.warns(npu_device.EagerOpWarning, match="add"):
        y = x + 1
    assert npu_device.eager_ops()[before:] and "add" in npu_device.eager_ops()[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.testing.assert_close(y.cpu(), x.cpu() + 1)

