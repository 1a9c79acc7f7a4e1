"""Shared fixtures of the npusim-cores tests."""
from __future__ import annotations

import pytest

from npusim_cores.component import Standalone
from npusim_cores.config import SystolicCoreConfig


@pytest.fixture(autouse=True)
def _tls_default(monkeypatch):
    """Ignore a caller's NPUSIM_TLS_MODE (tests choose the mode explicitly)."""
    monkeypatch.delenv("NPUSIM_TLS_MODE", raising=False)


def _make_core(rows=128, cols=128, dataflow="ws", overlap=True, ils=False, **kw) -> Standalone:
    cfg = SystolicCoreConfig(dataflow=dataflow, preload_overlap=overlap, tile_db=False, **kw)
    return Standalone(cfg, rows, cols, ils=ils)


@pytest.fixture
def make_core():
    """Factory of standalone systolic cores (no tile database): make_core(rows, cols, dataflow, overlap, ils, **params)."""
    return _make_core
