"""Compile and load the npusim-cores C++ models through npusim.cpp.load_cpp."""
from __future__ import annotations

from pathlib import Path

from npusim.cpp import load_cpp

CPP_DIR = Path(__file__).resolve().parent / "cpp"
SOURCES = ["systolic.cpp", "vector_unit.cpp", "systolic_core.cpp"]
HEADERS = ["systolic.hpp", "vector_unit.hpp", "systolic_core.hpp"]


def load():
    """Build (once per content hash) and load the models; return the cppyy namespace npusim_cores."""
    load_cpp("npusim_cores", [CPP_DIR / s for s in SOURCES], [CPP_DIR / h for h in HEADERS], [CPP_DIR])
    import cppyy

    return cppyy.gbl.npusim_cores
