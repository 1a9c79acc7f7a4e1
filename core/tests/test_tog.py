"""TOG: builder, validation errors, JSON round trip."""
import pytest

from npusim.errors import TogError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.tog import Dim, TogBuilder, from_json, to_json, validate


def _gemm_tog():
    k = KernelSpec("gemm", {"M": 300, "N": 200, "K": 129}, epilogue=("add",))
    return lower(k, Mapping({"M": 128, "N": 128, "K": 64}, ("M", "N", "K")), None)


def test_json_round_trip():
    tog = _gemm_tog()
    again = from_json(to_json(tog))
    assert to_json(again) == to_json(tog)
    validate(again)


def test_format_version_checked():
    data = to_json(_gemm_tog())
    data["version"] = 99
    with pytest.raises(TogError, match="version 99 unsupported"):
        from_json(data)


def test_validation_errors():
    b = TogBuilder("bad")
    b.tensor("X", (16,))
    with b.loop("i", 16, step=8):
        b.load("X", [Dim(8, 1, "j", 16)], tag="t")
    with pytest.raises(TogError, match="dim variable 'j' is not an enclosing loop variable"):
        b.build()
    b = TogBuilder("bad2")
    b.tensor("X", (16,))
    b.wait("nothing")
    with pytest.raises(TogError, match="wait on tag 'nothing'"):
        b.build()
    b = TogBuilder("bad3")
    b.tensor("X", (16,))
    b.load("X", [Dim(32, 1)], tag="t")
    with pytest.raises(TogError, match="reaches element 31 of tensor 'X'"):
        b.build()
    b = TogBuilder("bad4", spad_bytes=64)
    b.tensor("X", (64,))
    b.load("X", [Dim(64, 1)], tag="t")
    with pytest.raises(TogError, match="need 256 B of scratchpad"):
        b.build()
    b = TogBuilder("bad5")
    b.tensor("X", (64,))
    x = b.vector("add", [Dim(4)], deps=[7])
    with pytest.raises(TogError, match="dependency 7"):
        b.build()
    assert x == 0


def test_edge_tiles_within_tensor():
    tog = _gemm_tog()
    validate(tog)
    assert tog.meta["flops"] == 2 * 300 * 200 * 129
