"""Tile-Operation Graph: loop-compressed tile ISA (ops), builder, validation, (de)serialization."""
from npusim.tog.builder import TogBuilder
from npusim.tog.ops import (
    FORMAT_VERSION,
    Barrier,
    Compute,
    Dim,
    Dma,
    Loop,
    Tensor,
    Tog,
    Wait,
)
from npusim.tog.serialize import from_json, load_tog, save_tog, to_json
from npusim.tog.validate import validate

__all__ = ["FORMAT_VERSION", "Barrier", "Compute", "Dim", "Dma", "Loop", "Tensor", "Tog", "Wait", "TogBuilder",
           "validate", "to_json", "from_json", "save_tog", "load_tog"]
