"""External mapping files (PyTorchSim format): round trip, clear one-line errors, fallback strategies."""
from __future__ import annotations

import json

import pytest
from mapper_helpers import CALIB_GEMMS, conv, make
from npusim.config import load_config
from npusim.errors import MappingError
from npusim.kernels import KernelSpec
from npusim_mappers.build import build_mapper
from npusim_mappers.external import MissingEntry, write_mapping_file

ODD = [KernelSpec("gemm", {"M": 4071, "N": 429, "K": 129}), KernelSpec("gemm", {"M": 1, "N": 7, "K": 13}),
       KernelSpec("bmm", {"B": 3, "M": 129, "N": 64, "K": 31}), conv(2, 9, 16, 8, k=3, stride=2),
       KernelSpec("vector", {"R": 100, "C": 37}, epilogue=("exp", "reduce_sum"), reduce="C")]


def _write(tmp_path, data) -> str:
    p = tmp_path / "map.json"
    p.write_text(json.dumps(data))
    return str(p)


def test_round_trip(tmp_path, small):
    heur = make("heuristic", small)
    pairs = [(k, heur.best(k)) for k in [*CALIB_GEMMS, *ODD]]
    path = str(tmp_path / "maps.json")
    write_mapping_file(path, pairs)
    data = json.loads((tmp_path / "maps.json").read_text())
    assert data["4071_429_129"]["TILE_M"] == pairs[4][1].tiles["M"]
    ext = make("external", small, mapping_file=path)
    for kernel, mapping in pairs:
        got = ext.best(kernel)
        assert got.tiles == mapping.tiles and got.lane_axis == mapping.lane_axis
        assert got.lane_stride == mapping.lane_stride and got.source == "external"


def test_pytorchsim_entry_padded_tiles_and_subtiles(tmp_path, tpuv3):
    """TILE_M=4096 for M=4071 is the padded dim (PyTorchSim pads to 128 lanes): clipped, not an error."""
    path = _write(tmp_path, {"4071_429_129": {"TILE_M": 4096, "TILE_N": 128, "TILE_K": 256,
                                              "SUB_TILE_M": 1024, "SUB_TILE_N": 128}})
    m = make("external", tpuv3, mapping_file=path).best(ODD[0])
    assert m.tiles == {"M": 4071, "N": 128, "K": 129} and m.sub_tiles == {"M": 1024, "N": 128}


@pytest.mark.parametrize("entry, words", [
    ({"TILE_M": 200, "TILE_N": 128, "TILE_K": 128}, "TILE_M=200 is not a multiple of the padding unit 128"),
    ({"TILE_M": 8192, "TILE_N": 128, "TILE_K": 128}, "TILE_M=8192 exceeds M=4071 padded to 4096"),
    ({"TILE_M": 4096, "TILE_N": 512, "TILE_K": 256}, "scratchpad"),
    ({"TILE_M": 128, "TILE_N": 128}, "missing TILE_K"),
    ({"TILE_M": 128, "TILE_N": 128, "TILE_K": "128"}, "TILE_K='128' must be a positive integer"),
    ({"TILE_M": 128, "TILE_N": 128, "TILE_K": 128, "SUB_TILE_M": 96}, "SUB_TILE_M=96 must divide TILE_M=128"),
    ({"TILE_M": 128, "TILE_N": 128, "TILE_K": 128, "TILE_Q": 1}, "unknown key 'TILE_Q'"),
])
def test_invalid_entry_names_the_key(tmp_path, entry, words):
    mc = load_config("tpuv3", overrides={"core.spad_kib_per_lane": 32})
    path = _write(tmp_path, {"4071_429_129": entry})
    with pytest.raises(MappingError) as exc:
        build_mapper("external", mc, {"mapping_file": path, "cache_dir": ""}, timing=None).best(ODD[0])
    msg = str(exc.value)
    assert "'4071_429_129'" in msg and words in msg and "\n" not in msg


def test_file_errors(tmp_path, small):
    with pytest.raises(MappingError, match="cannot read"):
        make("external", small, mapping_file=str(tmp_path / "nope.json")).best(ODD[1])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(MappingError, match="not valid JSON"):
        make("external", small, mapping_file=str(bad)).best(ODD[1])
    with pytest.raises(MappingError, match="no external mapping file configured"):
        make("external", small).best(ODD[1])


def test_missing_key_and_fallbacks(tmp_path, small):
    path = _write(tmp_path, {"1_7_13": {"TILE_M": 1, "TILE_N": 7, "TILE_K": 8}})
    listed, unlisted = ODD[1], CALIB_GEMMS[0]
    with pytest.raises(MissingEntry, match="no entry '256_256_256'"):
        make("external", small, mapping_file=path).best(unlisted)
    for name, source in (("external-then-heuristic", "heuristic"), ("external-then-autotune", "")):
        mp = make(name, small, mapping_file=path, simulate="model", max_candidates=500)
        assert mp.best(listed).tiles == {"M": 1, "N": 7, "K": 8}
        fb = mp.best(unlisted)
        assert fb.source in ((source,) if source else ("heuristic", "autotune"))
    bad = _write(tmp_path, {"1_7_13": {"TILE_M": 1, "TILE_N": 7, "TILE_K": 99}})
    with pytest.raises(MappingError, match="'1_7_13'"):  # invalid entries are errors, not fallbacks
        make("external-then-heuristic", small, mapping_file=bad).best(listed)


def test_pytorchsim_flat_keys_select_strategy(tmp_path):
    path = _write(tmp_path, {"256_256_256": {"TILE_M": 128, "TILE_N": 256, "TILE_K": 128}})
    flat = {"num_cores": 1, "vpu_num_lanes": 128, "vpu_spad_size_kb_per_lane": 128,
            "codegen_mapping_strategy": "external-then-autotune", "codegen_external_mapping_file": path,
            "codegen_autotune_template_topk": 3, "codegen_autotune_max_retry": 1}
    mc = load_config(flat)
    assert mc.impl("mapper") == "external-then-autotune"
    cfg = mc.params("mapper")
    assert (cfg.mapping_file, cfg.topk, cfg.max_retry) == (path, 3, 1)
    mapper = build_mapper(mc.impl("mapper"), mc, {"cache_dir": ""}, timing=None)
    assert mapper.best(CALIB_GEMMS[0]).tiles == {"M": 128, "N": 256, "K": 128}
