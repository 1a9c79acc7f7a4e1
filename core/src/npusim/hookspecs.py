"""pluggy hook specifications: every npusim plugin implements some of these `npusim_*` hooks."""
from __future__ import annotations

import pluggy

PROJECT = "npusim"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def npusim_register_dram(registry):
    """Register DRAM models: registry.register(name, impl, config_cls, description)."""


@hookspec
def npusim_register_noc(registry):
    """Register interconnect (NoC) models."""


@hookspec
def npusim_register_cache(registry):
    """Register L2 cache models."""


@hookspec
def npusim_register_core(registry):
    """Register compute-timing (core) models."""


@hookspec
def npusim_register_mapper(registry):
    """Register mappers (tiling strategies)."""


@hookspec
def npusim_register_frontend(registry):
    """Register frontends (workload sources: torch models, micro-benchmarks)."""


@hookspec
def npusim_register_reporter(registry):
    """Register reporters (result writers: text log, JSON, trace, plots)."""


@hookspec
def npusim_configure(config):
    """Inspect or adjust a loaded machine config (a dict of sections) before it is validated."""


@hookspec
def npusim_sim_start(sim):
    """Called when a simulation starts (sim: npusim.engine.simulator.Simulator)."""


@hookspec
def npusim_sim_finish(sim, result):
    """Called when a simulation finished with its SimResult."""


@hookspec
def npusim_report(result, out):
    """Add plugin-specific entries to the result report dict `out`."""


@hookspec
def npusim_cli_commands(cli):
    """Add click commands/groups to the `npusim` CLI group `cli`."""
