"""Fusion switch (codegen_compiler_optimization): 'all', 'none', or a list of passes."""
import pytest
import torch
from npusim.config import load_config
from npusim.errors import ConfigError

import npusim


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 16)
        self.conv = torch.nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x, img):
        y = torch.relu(self.fc(x)) * 2.0 + x          # GEMM epilogue: bias, ReLU, scalar, residual
        z = torch.sigmoid(self.conv(img)) + 1.0       # conv epilogue
        return (y.exp() + 1).sqrt(), z                # elementwise chain


def kernels(fusion):
    m = load_config("tpuv3", overrides={"sim.timing": False, "sim.compiler_optimization": fusion})
    comp = npusim.compile(Block().eval(), config=m)
    x, img = torch.randn(8, 16), torch.randn(1, 4, 6, 6)
    with torch.no_grad():
        comp(x, img)
    res = comp.last_result
    assert res.extra["functional_check"]["status"] == "passed"
    return comp.session.graphs[-1].kernels


def test_all_fuses_epilogues_and_chains():
    ks = {k.op: k for k in kernels("all")}
    assert sorted(ks) == ["conv", "gemm"]  # the whole elementwise chain rides on the GEMM's output tiles
    assert ks["gemm"].epilogue == ("add", "cmp", "fma", "add", "exp", "add", "sqrt")
    assert ks["conv"].epilogue == ("add", "sigmoid", "add")


def test_none_gives_one_kernel_per_op():
    ks = kernels("none")
    assert sorted(k.op for k in ks if k.op != "vector") == ["conv", "gemm"]
    vec = [k for k in ks if k.op == "vector"]
    assert len(vec) >= 6 and all(len(k.epilogue) == 1 for k in vec)  # one kernel per elementwise op
    assert all(k.epilogue in ((), ("add",)) for k in ks if k.op != "vector")  # at most the op's own bias


def test_list_enables_selected_passes():
    ks = kernels(["conv_epilogue", "elementwise_chain"])
    by_op = {k.op: k for k in ks}
    assert by_op["conv"].epilogue == ("add", "sigmoid", "add")
    assert by_op["gemm"].epilogue == ("add",)  # addmm bias only: gemm_epilogue is off
    assert [k.epilogue for k in ks if k.op == "vector"] == [("cmp", "fma", "add", "exp", "add", "sqrt")]


def test_unknown_pass_is_a_one_line_error():
    with pytest.raises(ConfigError, match="compiler_optimization.*gemm_epilogue"):
        kernels(["gemm_epilog"])
