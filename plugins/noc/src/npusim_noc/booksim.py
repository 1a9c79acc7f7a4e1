"""The "booksim" interconnect component: a BookSim-2-style cycle-level network behind npusim::Interconnect."""
from __future__ import annotations

import json
from pathlib import Path

import attrs

from npusim.config.fields import param
from npusim.errors import ConfigError
from npusim.interfaces.context import BuildContext
from npusim_noc import booksim_config as bc
from npusim_noc.anynet import read_anynet
from npusim_noc.native import gbl, make_params


@attrs.define
class BookSimConfig:
    """BookSim 2 network: a BookSim config file plus npusim clock, fixed latency and inline key overrides."""

    config_path: str = param("", "BookSim config file (`key = value;` lines, `//` comments); '' = BookSim's "
                             "built-in defaults (8-ary 2-cube torus, 16 VCs x 8 flits)")
    freq_mhz: float = param(940.0, "interconnect clock (PyTorchSim icnt_freq_mhz)", "MHz")
    latency_cycles: int = param(0, "fixed latency added to every packet on top of the network's own "
                                "(PyTorchSim icnt_latency_cycles)", "NoC cycles")
    params: dict[str, str | int | float] = param({}, "BookSim keys overriding the file, e.g. "
                                                 "{num_vcs = 4, topology = 'mesh'}")
    injection_queue_flits: int = param(-1, "source queue capacity per node before try_send refuses; -1 = the "
                                       "file's input_buffer_size, unbounded when that is absent too", "flits")


def load_settings(config_path: str, overrides: dict | None = None) -> dict:
    """Resolved BookSim values of `config_path` ('' = defaults) with `overrides` applied, plus anynet data."""
    raw = bc.read_file(config_path) if config_path else {}
    source = config_path or "<BookSim defaults>"
    for k, v in (overrides or {}).items():
        raw[k] = v
    vals = bc.resolve(raw, source)
    if vals["topology"] == "anynet":
        nf = Path(vals["network_file"])
        if not nf.is_absolute() and config_path:
            nf = Path(config_path).resolve().parent / nf
        vals["anynet"] = read_anynet(nf)
    return vals


def num_terminals(vals: dict) -> int:
    """Terminals of the topology (k^n for mesh/torus/fly, c * k^n for cmesh, the node count of an anynet file)."""
    return len(vals["anynet"][0]) if vals["topology"] == "anynet" else vals["c"] * vals["k"] ** vals["n"]


def node_terminals(vals: dict, nodes: int, what: str) -> list[int]:
    """Engine node -> terminal. fly/anynet: node i is terminal i; mesh/torus/cmesh: spread evenly over terminals."""
    terms = num_terminals(vals)
    if nodes > terms:
        raise ConfigError(f"noc: {what} needs {nodes} nodes but the {vals['topology']} "
                          f"(k={vals['k']}, n={vals['n']}) has only {terms} terminals")
    if vals["topology"] in ("fly", "anynet"):
        return list(range(nodes))
    return [i * terms // nodes for i in range(nodes)]


class BookSimNoc:
    """BookSim-2-style network: VC routers, credits, iSLIP/separable allocators; mesh, torus, fly, anynet."""

    def __init__(self, config: BookSimConfig, ctx: BuildContext):
        self.config = config
        if config.freq_mhz <= 0:
            raise ConfigError(f"noc.freq_mhz must be > 0, got {config.freq_mhz}")
        if config.latency_cycles < 0:
            raise ConfigError(f"noc.latency_cycles must be >= 0, got {config.latency_cycles}")
        vals = load_settings(config.config_path, config.params)
        what = (f"{ctx.num_cores} core(s) x {ctx.ports_per_core} port(s) + {ctx.num_channels} memory channel(s)")
        mapping = node_terminals(vals, ctx.num_nodes, what)
        queue = config.injection_queue_flits if config.injection_queue_flits >= 0 else vals["input_buffer_size"]
        params = make_params(vals, freq_mhz=config.freq_mhz, latency_cycles=config.latency_cycles,
                             node_terminal=mapping, inject_queue_flits=queue, anynet=vals.get("anynet"))
        try:
            cls = gbl().SplitNetwork if vals["subnets"] == 2 else gbl().BookSimNetwork
            self.cpp = cls(params)
        except Exception as exc:  # std::invalid_argument from the C++ topology/network checks
            raise ConfigError(f"noc ({config.config_path or 'BookSim defaults'}): {str(exc).splitlines()[0]}") from None
        self.settings = vals
        self.node_terminal = mapping

    def stats(self) -> dict:
        """Network statistics: packets, flits, latencies (cycles), hops, router/link utilisation.

        With subnets = 2 the totals cover both networks and "request"/"response" hold each one's numbers.
        """
        s = json.loads(str(self.cpp.stats_json()))
        if "request" not in s:
            return s
        parts = [s["request"], s["response"]]
        n = sum(p["packets"] for p in parts) or 1
        out = {k: sum(p[k] for p in parts) for k in ("packets", "flits", "bytes")}
        for k in ("avg_packet_latency_cycles", "avg_network_latency_cycles", "avg_hops", "avg_latency_ps"):
            out[k] = sum(p[k] * p["packets"] for p in parts) / n
        out["max_packet_latency_cycles"] = max(p["max_packet_latency_cycles"] for p in parts)
        out.update(s)
        return out
