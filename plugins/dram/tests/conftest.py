"""Make the tests directory importable (dram_helpers, timing_checker)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
