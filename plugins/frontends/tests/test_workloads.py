"""Workload specs and zoo names -> torch modules; the registered frontend; one-line errors."""
import pytest
import torch
from npusim.errors import WorkloadError
from npusim.plugins import make_plugins

from npusim_frontends import workloads, zoo


@pytest.mark.parametrize("spec,n_inputs,out_shape", [
    ("gemm:8,4,6", 1, (8, 4)), ("bmm:2,3,4,5", 2, (2, 3, 4)), ("conv:1,8,8,3,4,3,2,1", 1, (1, 4, 4, 4)),
    ("attention:2,6,8", 3, (1, 2, 6, 8)), ("layernorm:5,7", 1, (5, 7)), ("softmax:5,7", 1, (5, 7)),
    ("encoder:16,2,6", 1, (1, 6, 16)),
])
def test_micro_specs_build_tiny_modules(spec, n_inputs, out_shape):
    model, inputs = workloads.build(spec)
    assert len(inputs) == n_inputs
    with torch.no_grad():
        assert tuple(model(*inputs).shape) == out_shape


def test_every_zoo_model_has_a_test_size_builder():
    assert sorted(zoo.BUILDERS) == sorted(["resnet18", "resnet50", "bert-base", "bert-large", "gpt2", "vit-b16",
                                           "mistral", "llama", "llama4", "deepseek-moe", "unet"])
    model, inputs = workloads.build("bert-base:test")
    assert sum(p.numel() for p in model.parameters()) < 200_000


@pytest.mark.parametrize("spec,match", [("resnet-18", "did you mean 'resnet18'"), ("gpt2:huge", "valid: full, test"),
                                        ("gemm:1,2", "gemm takes 3")])
def test_bad_specs_are_one_line_errors(spec, match):
    with pytest.raises(WorkloadError, match=match) as err:
        workloads.build(spec)
    assert "\n" not in str(err.value)


def test_frontend_registered_as_torch():
    spec = make_plugins().registry.get("frontend", "torch")
    frontend = spec.load()(spec.config_cls())
    model, inputs = frontend.build("softmax:2,3")
    assert isinstance(model, torch.nn.Module) and inputs[0].shape == (2, 3)
