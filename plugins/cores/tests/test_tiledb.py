"""Tile-latency database: persistence, keying, reuse without recomputation, two-process safety."""
from __future__ import annotations

import json
import subprocess
import sys

import npusim.testing as kit

from npusim_cores.tiledb import MODEL_VERSION, TileDb


def _build(tmp_path, **params):
    return kit.build_component("core", "systolic", machine="tpuv3", params={"tile_db_path": str(tmp_path), **params})


def test_latencies_persist_and_are_reused(tmp_path):
    first = _build(tmp_path)
    a = first.cpp.gemm(300, 77, 129, 2)
    v = first.cpp.vector(5, 4096, 4)
    assert first.flush() == 2
    second = _build(tmp_path)
    b, w = second.cpp.gemm(300, 77, 129, 2), second.cpp.vector(5, 4096, 4)
    assert (a.latency, a.occupancy, v.latency) == (b.latency, b.occupancy, w.latency)
    stats = second.stats()
    assert stats["cache_misses"] == 0 and stats["cache_hits"] == 2  # nothing recomputed


def test_key_separates_hardware_mode_and_version(tmp_path, monkeypatch):
    ws, os_ = _build(tmp_path), _build(tmp_path, dataflow="os")
    monkeypatch.setenv("NPUSIM_TLS_MODE", "0")
    ils = _build(tmp_path)
    paths = {ws.db.path, os_.db.path, ils.db.path}
    assert len(paths) == 3 and all(MODEL_VERSION in p.name for p in paths)
    ws.cpp.gemm(64, 64, 64, 4)
    ws.flush()
    doc = json.loads(ws.db.path.read_text())
    assert doc["model_version"] == MODEL_VERSION and doc["hw"]["dataflow"] == "ws" and doc["hw"]["mode"] == "tls"
    assert list(doc["entries"]) == ["gemm:64,64,64:4"]


def test_off_keeps_nothing_on_disk(tmp_path):
    comp = _build(tmp_path, tile_db=False)
    comp.cpp.gemm(8, 8, 8, 4)
    assert comp.flush() == 0 and comp.stats()["tile_db"] == "off"
    assert not any(tmp_path.iterdir())


WRITER = """
import sys
from npusim_cores.tiledb import TileDb
db = TileDb(sys.argv[1], {"rows": 8, "cols": 8})
w = int(sys.argv[2])
for i in range(40):
    db.merge({f"gemm:{w},{i},1:4": [w, i]})
"""


def test_two_processes_merge_without_losing_or_tearing(tmp_path):
    # Separate interpreters (not multiprocessing): the writers import only installed packages.
    params = {"rows": 8, "cols": 8}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(w)]) for w in (1, 2)]
    reader = TileDb(tmp_path, params)
    seen = 0
    while any(p.poll() is None for p in procs):
        entries = reader.load()  # never a torn file: always parses, only grows
        assert len(entries) >= seen
        seen = len(entries)
    for p in procs:
        assert p.wait() == 0
    entries = reader.load()
    assert len(entries) == 80
    assert entries["gemm:2,39,1:4"] == [2, 39]
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".tiledb-")]  # no leftover temp files


def test_latencies_are_flushed_when_the_component_goes_away(tmp_path):
    import gc

    comp = _build(tmp_path)
    comp.cpp.gemm(33, 44, 55, 2)
    path = comp.db.path
    del comp
    gc.collect()
    assert "gemm:33,44,55:2" in json.loads(path.read_text())["entries"]
