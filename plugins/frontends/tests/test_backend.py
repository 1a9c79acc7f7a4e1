"""torch.compile backend "npusim": entry point, inference, SimResult per call, untimed-op report."""
import subprocess
import sys

import pytest
import torch

import npusim
from npusim_frontends.lowered import UntimedOpWarning


def mlp():
    return torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 16)).eval()


def test_backend_found_through_entry_point_without_npusim_import():
    code = ("import torch; torch.backends.mha.set_fastpath_enabled(False); "
            "import torch._dynamo as d; assert 'npusim' in d.list_backends(exclude_tags=()), d.list_backends(); "
            "m = torch.nn.Linear(8, 4).eval(); x = torch.randn(2, 8)\n"
            "with torch.no_grad(): y = torch.compile(m, backend='npusim')(x)\n"
            "assert torch.allclose(y, m(x), rtol=1e-4, atol=1e-4)\n"
            "import npusim_frontends.backend as b; r = b.default_session().last_result\n"
            "assert r.total_cycles > 0 and r.extra['functional_check']['status'] == 'passed'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")


def test_npusim_compile_returns_result_per_call(machine):
    net = mlp()
    comp = npusim.compile(net, config=machine)
    x = torch.randn(8, 32)
    with torch.no_grad():
        y = comp(x)
        comp(x)
    torch.testing.assert_close(y, net(x), rtol=1e-4, atol=1e-4)
    assert len(comp.results) == 2
    res = comp.results[0]
    assert res.total_cycles > 0
    assert [k["op"] for k in res.kernels] == ["gemm", "gemm"]  # bias+ReLU fused into the first GEMM
    d = res.to_dict()
    assert d["functional_check"]["status"] == "passed"
    assert d["functional_check"]["max_abs_err"] <= 1e-4
    assert d["untimed_ops"] == []


def test_functional_off_reports_off(machine):
    net = mlp()
    comp = npusim.compile(net, config=machine, functional=False)
    with torch.no_grad():
        comp(torch.randn(4, 32))
    assert comp.last_result.extra["functional_check"]["status"] == "off"


def test_env_switches_functional_off(machine, monkeypatch):
    monkeypatch.setenv("NPUSIM_FUNCTIONAL", "0")
    comp = npusim.compile(mlp(), config=machine)
    with torch.no_grad():
        comp(torch.randn(4, 32))
    assert comp.last_result.extra["functional_check"]["status"] == "off"


class Kth(torch.nn.Module):
    def forward(self, x):
        return torch.kthvalue(x, 2, dim=-1).values * 2


def test_unlowered_op_is_reported_with_flops_and_bytes(functional_only):
    comp = npusim.compile(Kth(), config=functional_only)
    x = torch.randn(4, 4)
    with pytest.warns(UntimedOpWarning, match="kthvalue"):
        y = comp(x)
    torch.testing.assert_close(y, Kth()(x), rtol=1e-4, atol=1e-4)
    untimed = comp.last_result.extra["untimed_ops"]
    assert [u["op"] for u in untimed] == ["aten.kthvalue.default"]
    assert untimed[0]["flops"] == 8 and untimed[0]["bytes"] == 16 * 4 + 4 * 4 + 4 * 8  # x + values + int64 indices
