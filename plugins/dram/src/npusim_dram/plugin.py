"""Entry-point plugin of npusim-dram: registers its components through npusim_* hooks."""
from npusim.hookspecs import hookimpl  # noqa: F401
