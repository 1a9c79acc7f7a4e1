"""`npusim mem` command group: standalone DRAM trace replay (`npusim mem replay TRACE --config FILE`)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from npusim.errors import ConfigError


def build_dram(config: str):
    """The DRAM component of a machine config (preset, TOML/JSON, PyTorchSim JSON) or of a Ramulator 2 YAML."""
    from npusim.config import load_config
    from npusim.interfaces.context import BuildContext
    from npusim.plugins import make_plugins

    plugins = make_plugins()
    path = Path(config)
    if path.suffix in (".yaml", ".yml"):
        from npusim_dram.ramulator_yaml import load_ramulator_yaml

        standard = load_ramulator_yaml(path)["standard"]
        spec = {"dram": {"impl": standard, "config_path": str(path.resolve())}, "mapper": {"impl": "fixed"}}
        machine = load_config(spec, plugins)
    else:
        machine = load_config(config, plugins)
    impl = machine.impl("dram")
    return impl, plugins.registry.get("dram", impl).load()(machine.params("dram"), BuildContext(machine))


def _table(summary: dict, impl: str) -> str:
    s = summary
    rows = [
        ("DRAM", f"{impl} ({s['dram'].get('timing_preset', '-')}, {s['dram'].get('org_preset', '-')})"),
        ("requests", f"{s['requests']} ({s['reads']} reads, {s['writes']} writes)"),
        ("simulated time", f"{s['sim_time_ns']:.1f} ns"),
        ("bandwidth", f"{s['bandwidth_gbps']:.2f} GB/s ({s['bandwidth_pct_of_peak']:.1f}% of {s['peak_gbps']:.1f})"),
        ("avg read latency", f"{s['avg_read_latency_ns']:.2f} ns"),
        ("row hit/miss/conflict", f"{100 * s['row_hit_rate']:.1f}% / {100 * s['row_miss_rate']:.1f}% / "
                                  f"{100 * s['row_conflict_rate']:.1f}%"),
        ("requests per wall s", f"{s['requests_per_wall_s'] / 1e6:.2f} M"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


@click.group()
def mem():
    """Memory-system studies (DRAM trace replay)."""


@mem.command()
@click.argument("trace", type=click.Path())
@click.option("--config", "config", required=True,
              help="machine config (preset, .toml/.json, PyTorchSim .json) or a Ramulator 2 .yaml")
@click.option("--rate", "rate", type=float, default=0.0,
              help="offered load in requests per ns (default 0: as fast as the controller accepts)")
@click.option("--json", "json_out", default=None, help="write the summary (and DRAM stats) as JSON here")
def replay(trace, config, rate, json_out):
    """Replay a Ramulator load/store TRACE (`LD 0x1a2b40` / `ST 4096`, 32 B per line) through the DRAM."""
    from npusim_dram.replay import parse_trace, replay as run

    if rate < 0:
        raise ConfigError(f"--rate must be >= 0 requests/ns, got {rate}")
    impl, comp = build_dram(config)
    addrs, writes = parse_trace(trace)
    summary = run(comp, addrs, writes, rate)
    summary["impl"] = impl
    click.echo(_table(summary, impl))
    if json_out:
        Path(json_out).write_text(json.dumps(summary, indent=1))
