"""Entry-point plugin of npusim-cache: registers the `sectored` L2 through npusim_* hooks."""
from npusim.hookspecs import hookimpl


@hookimpl
def npusim_register_cache(registry):
    from npusim_cache.sectored import SectoredCache, SectoredCacheConfig

    registry.register("sectored", SectoredCache, SectoredCacheConfig, SectoredCache.__doc__)


@hookimpl
def npusim_cli_commands(cli):
    from npusim_cache.cli import cache

    cli.add_command(cache)
