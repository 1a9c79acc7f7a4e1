"""Shared fixtures of the frontend tests: a fast machine config (tpuv3 core, timing on)."""
import pytest
import torch


@pytest.fixture
def machine():
    from npusim.config import load_config

    return load_config("tpuv3")


@pytest.fixture
def functional_only():
    from npusim.config import load_config

    return load_config("tpuv3", overrides={"sim.timing": False})


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()
