"""`npusim cache` CLI group: decode an AccelSim/PyTorchSim cache string, list a persistent plan."""
from __future__ import annotations

import click

from npusim_cache.accelsim import ALLOC, REPLACEMENT, SET_INDEX, WRITE_ALLOC, WRITE_POLICY, parse_cache_string
from npusim_cache.plan import load_plan


def _name(table: dict, code: int) -> str:
    return next(v[1] for v in table.values() if v[0] == code)


@click.group()
def cache():
    """Sectored L2 (npusim-cache) utilities."""


@cache.command()
@click.argument("config")
@click.option("--channels", type=int, default=16, help="slices (memory channels) for the total capacity")
def describe(config, channels):
    """Print how each field of cache string CONFIG is read."""
    g = parse_cache_string(config)
    rows = [("type", "sectored" if g.sectored else "normal (line)"), ("sets", g.sets), ("line_bytes", g.line_bytes),
            ("assoc", g.assoc), ("sector_bytes", g.atom_bytes), ("replacement", _name(REPLACEMENT, g.replacement)),
            ("write_policy", _name(WRITE_POLICY, g.write_policy)), ("alloc_policy", _name(ALLOC, g.alloc_on_fill)),
            ("write_alloc_policy", _name(WRITE_ALLOC, g.write_alloc)), ("set_index_fn", _name(SET_INDEX, g.set_index)),
            ("mshr", f"{g.mshr_type}: {g.mshr_entries} entries x {g.mshr_max_merge} merged"),
            ("miss_queue_size", g.miss_queue_size), ("result_fifo_entries", g.result_fifo_entries),
            ("data_port_width", f"{g.data_port_bytes} B/cycle"),
            ("capacity", f"{g.slice_bytes // 1024} KiB/slice, {g.slice_bytes * channels // 1024} KiB "
                         f"for {channels} slices")]
    for key, value in rows:
        click.echo(f"{key:20s} {value}")


@cache.command()
@click.argument("plan_file", type=click.Path())
def plan(plan_file):
    """List the tensors a persistent-cache plan file makes cacheable."""
    for name in sorted(load_plan(plan_file)):
        click.echo(name)
