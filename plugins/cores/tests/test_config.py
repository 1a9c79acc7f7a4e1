"""Config of the "systolic" component: documented params, one-line errors, CLI surface."""
from __future__ import annotations

import attrs
import pytest
from click.testing import CliRunner

import npusim.testing as kit
from npusim.cli import cli, main
from npusim.errors import NpusimError

from npusim_cores.config import SystolicCoreConfig


def test_every_param_has_description_and_unit():
    for f in attrs.fields(SystolicCoreConfig):
        assert f.metadata["description"] and f.metadata["unit"], f.name


def test_info_documents_every_param():
    res = CliRunner().invoke(cli, ["info", "core", "systolic"])
    assert res.exit_code == 0, res.output
    for f in attrs.fields(SystolicCoreConfig):
        assert f"  {f.name}: " in res.output


@pytest.mark.parametrize("params, key", [
    ({"dataflow": "rs"}, "dataflow"),
    ({"vec_op_ii": {"expo": 3}}, "vec_op_ii"),
    ({"vec_op_ii": {"exp": 0}}, "vec_op_ii.exp"),
    ({"spad_read_ports": 0}, "spad_read_ports"),
    ({"preload_overlapp": True}, "preload_overlap"),
])
def test_bad_params_are_one_line_errors_naming_the_key(params, key):
    with pytest.raises(NpusimError) as exc:
        kit.build_component("core", "systolic", params=params)
    msg = str(exc.value)
    assert key in msg and "\n" not in msg


def test_machine_geometry_comes_from_core_section():
    comp = kit.build_component("core", "systolic", machine="small-8x8", params={"tile_db": False})
    assert (comp.rows, comp.cols) == (comp._ctx.machine.core.array_rows, comp._ctx.machine.core.array_cols)
    # 8x8 ws, no overlap is SCALE-Sim's 2R+C+T-2 per fold: folds = 2*2, T = 10
    slow = kit.build_component("core", "systolic", machine="small-8x8",
                               params={"tile_db": False, "preload_overlap": False})
    if comp.rows == 8 and comp.cols == 8:
        assert slow.cpp.gemm(10, 16, 16, 4).latency == 4 * (16 + 8 + 10 - 2) - 1


def test_cli_rejects_bad_shape(capsys):
    assert main(["cores", "gemm", "5,x,3"]) == 2
    err = capsys.readouterr().err
    assert "M,N,K" in err and "Traceback" not in err and err.count("\n") == 1


def test_cli_vector(capsys):
    assert main(["cores", "vector", "exp", "4096", "--dtype", "bf16"]) == 0
    assert "cycles" in capsys.readouterr().out
