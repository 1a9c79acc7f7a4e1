"""Entry-point plugin of npusim-dram: registers the cycle-level DRAMs and the `npusim mem` CLI group."""
from npusim.hookspecs import hookimpl
from npusim_dram.config import DramConfig


@hookimpl
def npusim_register_dram(registry):
    for name, cls in (("hbm2", "Hbm2Dram"), ("hbm3", "Hbm3Dram"), ("ddr4", "Ddr4Dram"), ("lpddr5", "Lpddr5Dram")):
        registry.register(name, f"npusim_dram.device:{cls}", DramConfig,
                          f"cycle-level {name.upper()} DRAM (Ramulator 2 semantics, JEDEC presets)")


@hookimpl
def npusim_cli_commands(cli):
    from npusim_dram.cli import mem

    cli.add_command(mem)
