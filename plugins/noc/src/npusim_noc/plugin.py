"""Entry-point plugin of npusim-noc: registers the "booksim" interconnect and the `npusim noc` commands."""
from npusim.hookspecs import hookimpl


@hookimpl
def npusim_register_noc(registry):
    from npusim_noc.booksim import BookSimConfig, BookSimNoc

    registry.register("booksim", BookSimNoc, BookSimConfig, BookSimNoc.__doc__)


@hookimpl
def npusim_cli_commands(cli):
    from npusim_noc.cli import noc

    cli.add_command(noc)
