"""Conformance kit: base test classes per component kind, hypothesis strategies, builders (pytest11 plugin)."""
from __future__ import annotations

from npusim.testing.build import build_component

__all__ = ["build_component"]
