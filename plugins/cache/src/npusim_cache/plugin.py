"""Entry-point plugin of npusim-cache: registers its components through npusim_* hooks."""
from npusim.hookspecs import hookimpl  # noqa: F401
