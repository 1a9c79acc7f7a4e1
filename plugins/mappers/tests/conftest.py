"""Puts this directory on sys.path so tests can import mapper_helpers (pytest runs with importlib mode)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mapper_helpers import machine  # noqa: E402


@pytest.fixture
def small():
    return machine("small-8x8")


@pytest.fixture
def tpuv3():
    return machine("tpuv3")
