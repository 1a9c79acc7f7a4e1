"""Compile C++ component sources once (cached by content hash) and load them through cppyy."""
from npusim.cpp.build import INCLUDE_DIR, load_cpp

__all__ = ["INCLUDE_DIR", "load_cpp"]
