"""`npusim noc ...` commands: synthetic-traffic sweeps of a BookSim config."""
from __future__ import annotations

import json

import click

from npusim.errors import ConfigError


def _rates(text: str) -> list[float]:
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"--rates {text!r}: expected comma-separated numbers, e.g. 0.01,0.05,0.1") from None
    if not vals:
        raise ConfigError("--rates: give at least one injection rate")
    return vals


def _overrides(items: tuple[str, ...]) -> dict:
    out = {}
    for it in items:
        key, eq, val = it.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--set {it!r}: expected KEY=VALUE (a BookSim key)")
        out[key.strip()] = val.strip()
    return out


@click.group("noc")
def noc():
    """Network-on-chip studies with the BookSim-style interconnect."""


@noc.command("sweep")
@click.option("--config", "config_path", required=True, help="BookSim config file (.icnt / key = value;)")
@click.option("--traffic", type=click.Choice(["uniform", "transpose", "bitcomp", "hotspot"]), default="uniform",
              show_default=True)
@click.option("--rates", required=True, help="offered loads in flits/node/cycle, comma-separated")
@click.option("--packet-size", type=int, default=None, help="flits per packet (default: the file's packet_size)")
@click.option("--warmup-periods", type=int, default=None, help="warm-up sample periods (default: file, BookSim 3)")
@click.option("--sample-period", type=int, default=None, help="cycles per sample (default: file, BookSim 1000)")
@click.option("--seed", type=int, default=None, help="traffic random seed (default: the file's seed)")
@click.option("--hotspot-nodes", default="0", show_default=True, help="hotspot traffic: comma-separated nodes")
@click.option("--hotspot-fraction", type=float, default=0.2, show_default=True,
              help="hotspot traffic: fraction of packets sent to a hotspot node (rest uniform)")
@click.option("--set", "sets", multiple=True, help="override a BookSim key, KEY=VALUE (repeatable)")
@click.option("--json", "json_out", default=None, help="write the curve as JSON to this file")
def sweep(config_path, traffic, rates, packet_size, warmup_periods, sample_period, seed, hotspot_nodes,
          hotspot_fraction, sets, json_out):
    """Latency/throughput curve under synthetic traffic, with the saturation point."""
    from npusim_noc.sweep import run_sweep

    try:
        hot = tuple(int(x) for x in hotspot_nodes.split(",") if x.strip())
    except ValueError:
        raise ConfigError(f"--hotspot-nodes {hotspot_nodes!r}: expected comma-separated node ids") from None
    res = run_sweep(config_path, traffic, _rates(rates), packet_size=packet_size, warmup_periods=warmup_periods,
                    sample_period=sample_period, seed=seed, hotspots=hot, hotspot_fraction=hotspot_fraction,
                    overrides=_overrides(sets))
    click.echo(f"{res['topology']} k={res['k']} n={res['n']}  traffic={traffic}  packet_size={res['packet_size']} "
               f"flits  warm-up {res['warmup_cycles']} + sample {res['sample_cycles']} cycles")
    click.echo(f"{'offered':>8} {'accepted':>9} {'pkt_lat':>9} {'net_lat':>9} {'zero_ld':>8} {'hops':>6} "
               f"{'stable':>6} {'kcyc/s':>8}")
    for p in res["points"]:
        click.echo(f"{p['offered']:8.3f} {p['accepted']:9.4f} {p['avg_packet_latency']:9.2f} "
                   f"{p['avg_network_latency']:9.2f} {p['zero_load_latency']:8.2f} {p['avg_hops']:6.2f} "
                   f"{'yes' if p['stable'] else 'no':>6} {p['cycles_per_s'] / 1e3:8.1f}")
    sat = res["saturation_rate"]
    click.echo(f"saturation: {sat} flits/node/cycle" if sat is not None else
               "saturation: not reached at the given rates")
    if json_out:
        with open(json_out, "w") as f:
            json.dump(res, f, indent=2)
        click.echo(f"wrote {json_out}")
