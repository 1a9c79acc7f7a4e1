"""check_mapping / check_tog_coverage reject what does not cover exactly once or does not fit."""
from __future__ import annotations

import pytest
from mapper_helpers import conv
from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.tog import Dim, TogBuilder
from npusim_mappers.validate import check_mapping, check_tog_coverage

GEMM = KernelSpec("gemm", {"M": 200, "N": 100, "K": 60})


def gemm_map(**tiles):
    return Mapping({"M": 16, "N": 16, "K": 8, **tiles}, ("M", "N", "K"))


def test_valid_mapping_info(small):
    info = check_mapping(GEMM, gemm_map(), small)
    assert info.outer_tiles == 13 * 7 and info.accum_steps == 8
    assert info.total_bytes == (16 * 8 + 8 * 16 + 16 * 16) * 4
    assert info.per_lane_bytes == (16 * 1 + 8 * 2 + 16 * 2) * 4  # rows * ceil(cols / 8 lanes)
    assert info.padded == {"M": 200, "N": 104, "K": 64}


@pytest.mark.parametrize("mapping, words", [
    (gemm_map(M=201), "outside 1..200"),
    (gemm_map(K=0), "outside"),
    (Mapping({"M": 16, "N": 16}, ("M", "N", "K")), "missing ['K']"),
    (Mapping({"M": 16, "N": 16, "K": 8, "X": 1}, ("M", "N", "K")), "unknown ['X']"),
    (Mapping({"M": 16, "N": 16, "K": 8}, ("K", "M", "N")), "loop order"),
    (gemm_map(M=200, N=100, K=60), "more than 65536 B (half: double buffering)"),
])
def test_rejects(small, mapping, words):
    with pytest.raises(MappingError) as exc:
        check_mapping(GEMM, mapping, small)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_single_buffer_may_use_whole_spad(small):
    big = Mapping({"M": 200, "N": 100, "K": 60}, ("M", "N", "K"), double_buffer=False)
    with pytest.raises(MappingError, match="more than 131072 B"):
        check_mapping(GEMM, big, small)  # 38000 elements * 4 B > 128 KiB
    ok = Mapping({"M": 200, "N": 100, "K": 20}, ("M", "N", "K"), double_buffer=False)
    assert check_mapping(GEMM, ok, small).total_limit == small.core.spad_bytes


def test_per_lane_limit(small):
    """A 1-column output spreads over one lane only: the per-lane limit bites before the total."""
    kernel = KernelSpec("gemm", {"M": 4096, "N": 1, "K": 1})
    with pytest.raises(MappingError, match="in one lane"):
        check_mapping(kernel, Mapping({"M": 4096, "N": 1, "K": 1}, ("M", "N", "K")), small)


def test_conv_window_must_divide(small):
    kernel = conv(1, 9, 4, 4, k=3)
    m = Mapping({"N": 1, "H": 9, "W": 9, "O": 4, "C": 4, "KH": 2, "KW": 3}, ("N", "H", "W", "O", "KH", "KW", "C"))
    with pytest.raises(MappingError, match="KH=2 must divide"):
        check_mapping(kernel, m, small)


def _tog(store_in_accum=False, step=4, size=4):
    b = TogBuilder("t")
    y = b.tensor("Y", (10,))
    x = b.tensor("X", (10, 6))
    with b.loop("i", 10, step=step, kind="outer"):
        with b.loop("k", 6, step=3, kind="accum"):
            ld = b.load(x, [Dim(4, 6, "i", 10), Dim(3, 1, "k", 6)])
            if store_in_accum:
                b.store(y, [Dim(size, 1, "i", 10)], deps=[ld])
        if not store_in_accum:
            b.store(y, [Dim(size, 1, "i", 10)], deps=[ld])
    return b.build()


def test_tog_coverage_accepts_exact_partition():
    check_tog_coverage(_tog())


def test_tog_coverage_duplicate_store():
    with pytest.raises(MappingError, match="store repeats under loop 'k'"):
        check_tog_coverage(_tog(store_in_accum=True))


def test_tog_coverage_overlap_and_gap():
    with pytest.raises(MappingError, match="overlap"):
        check_tog_coverage(_tog(step=2, size=4))
    with pytest.raises(MappingError, match="gap"):
        check_tog_coverage(_tog(step=4, size=3))


def test_tog_coverage_accum_without_loads():
    b = TogBuilder("t")
    y = b.tensor("Y", (4,))
    x = b.tensor("X", (4,))
    with b.loop("k", 8, step=1, kind="accum"):
        ld = b.load(x, [Dim(4, 1)])
    b.store(y, [Dim(4, 1)], deps=[ld])
    with pytest.raises(MappingError, match="reloads the same tiles 8 times"):
        check_tog_coverage(b.build())


@pytest.mark.parametrize("parts, ok", [(((0, 64), (64, 64)), True), (((0, 64), (96, 32)), False),
                                       (((0, 64), (64, 32)), False)])
def test_coverage_check_wants_parts_that_partition_the_tile(parts, ok):
    from npusim.errors import MappingError
    from npusim.tog import Dim, TogBuilder
    from npusim_mappers.validate import check_tog_coverage

    # a core's arrays split an output tile into GEMM parts (lowering.gemm.split_gemms)
    b = TogBuilder("t")
    c = b.tensor("C", (1, 128, 128))
    with b.loop("m", 128, step=128, kind="outer"):
        with b.loop("n", 128, step=128, kind="outer"):
            gs = [b.gemm(Dim(128, 0, "m", 128), Dim(size, 0, "n", 128, offset=off), Dim(8)) for off, size in parts]
            b.store(c, [Dim(128, 128, "m", 128), Dim(128, 1, "n", 128)], tag="st", deps=gs)
    if ok:
        check_tog_coverage(b.build())
    else:
        with pytest.raises(MappingError, match="do not partition the tile of 128"):
            check_tog_coverage(b.build())
