"""Mapping.resident: an A (or B) panel covering all of K stays in the scratchpad while the other
dimension's tiles stream past it, so it is read from DRAM once instead of once per tile."""
import pytest
from npusim.config import load_config
from npusim.engine.simulator import Simulator
from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower

M, N, K = 256, 1024, 256
GEMM = KernelSpec("gemm", {"M": M, "N": N, "K": K})
TILES = {"M": 128, "N": 256, "K": K}  # 2 M tiles x 4 N tiles


def run(resident, order):
    mc = load_config("tpuv3", overrides={"dram.impl": "simple", "mapper.impl": "fixed"})
    res = Simulator(mc).run([lower(GEMM, Mapping(TILES, order, resident=resident), mc)])
    return res, res.cores[0]


@pytest.mark.parametrize("resident, order, a_reads, b_reads", [
    ("", ("M", "N", "K"), 4, 2),    # A re-read per N tile, B per M tile
    ("C", ("M", "N", "K"), 4, 2),   # the output tile always stays while K accumulates: same TOG
    ("A", ("M", "N", "K"), 1, 2),
    ("B", ("N", "M", "K"), 4, 1),
])
def test_resident_operand_is_read_once(resident, order, a_reads, b_reads):
    res, core = run(resident, order)
    assert core["bytes_read"] == 4 * (a_reads * M * K + b_reads * K * N)
    assert core["bytes_written"] == 4 * M * N


def test_resident_saves_cycles_when_memory_bound():
    plain, _ = run("", ("M", "N", "K"))
    kept, _ = run("A", ("M", "N", "K"))
    assert kept.total_cycles < plain.total_cycles


@pytest.mark.parametrize("resident, order, tiles, words", [
    ("A", ("N", "M", "K"), TILES, "resident A needs loop order MNK"),
    ("B", ("M", "N", "K"), TILES, "resident B needs loop order NMK"),
    ("A", ("M", "N", "K"), {**TILES, "K": 128}, "needs TILE_K = K = 256"),
    ("W", ("M", "N", "K"), TILES, "resident 'W' is not one of"),
])
def test_bad_resident_is_a_one_line_error(resident, order, tiles, words):
    with pytest.raises(MappingError, match=words):
        lower(GEMM, Mapping(tiles, order, resident=resident), load_config("tpuv3"))
