"""Entry-point plugin of npusim-cores: registers the "systolic" compute timing and the `npusim cores` CLI."""
from npusim.hookspecs import hookimpl

from npusim_cores.config import SystolicCoreConfig


@hookimpl
def npusim_register_core(registry):
    registry.register("systolic", "npusim_cores.component:SystolicCore", SystolicCoreConfig,
                      "systolic arrays (ws/os/is, SCALE-Sim v3 exact) + RISC-V-V vector unit, TLS/ILS, tile DB")


@hookimpl
def npusim_cli_commands(cli):
    from npusim_cores.cli import cores

    cli.add_command(cores)
