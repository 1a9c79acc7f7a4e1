"""Test helpers: build a BookSim network straight from BookSim keys and drive it through npusim::Interconnect."""
from __future__ import annotations

from pathlib import Path

from npusim_noc import booksim_config as bc
from npusim_noc.booksim import load_settings, num_terminals
from npusim_noc.native import gbl, make_params

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "noc"
PERIOD_PS = 1000  # 1 GHz network clock in these tests


def make_net(keys: dict | None = None, config_path: str = "", latency_cycles: int = 0, queue: int = -1):
    """A BookSimNetwork whose engine node i is terminal i (all terminals used)."""
    vals = load_settings(config_path, keys)
    nodes = list(range(num_terminals(vals)))
    params = make_params(vals, freq_mhz=1e6 / PERIOD_PS, latency_cycles=latency_cycles, node_terminal=nodes,
                         inject_queue_flits=queue, anynet=vals.get("anynet"))
    return gbl().BookSimNetwork(params), vals


def pipeline(vals: dict) -> int:
    """Per-router cycles at zero load: routing + VC allocation + switch allocation + switch traversal."""
    return (vals["routing_delay"] + vals["vc_alloc_delay"] + vals["sw_alloc_delay"] + vals["st_prepare_delay"]
            + vals["st_final_delay"])


def send(net, pid: int, src: int, dst: int, nbytes: int, now: int) -> bool:
    from npusim.testing.drive import make_packet

    return bool(net.try_send(make_packet(pid, src, dst, nbytes), now))


def run_until_idle(net, max_cycles: int = 200_000, chunk: int = 64) -> list[tuple[int, int]]:
    """Advance in chunks until nothing is in flight; [(packet id, delivery ps)]. Fails on a stall."""
    import cppyy

    out = cppyy.gbl.std.vector[gbl().PacketDelivery]()
    got: list[tuple[int, int]] = []
    now = 0
    stall = 0
    while net.next_event() < 2**62:
        now = max(now + chunk * PERIOD_PS, int(net.next_event()))
        out.clear()
        net.advance(now, out)
        got += [(int(d.pkt.id), int(d.time)) for d in out]
        stall = 0 if out.size() else stall + chunk
        assert stall < max_cycles, "network stalled: flits in flight but nothing delivered (deadlock)"
    return got


__all__ = ["bc", "CONFIGS", "PERIOD_PS", "make_net", "pipeline", "send", "run_until_idle"]
