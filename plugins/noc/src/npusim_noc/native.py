"""Build and load the C++ network (cppyy) and turn resolved BookSim settings into npusim::NocParams."""
from __future__ import annotations

from pathlib import Path

from npusim.cpp import load_cpp

CPP = Path(__file__).resolve().parent / "cpp"
SOURCES = ["topology.cpp", "allocator.cpp", "booksim_net.cpp", "split_net.cpp", "traffic.cpp"]
HEADERS = ["noc_params.hpp", "topology.hpp", "allocator.hpp", "booksim_net.hpp", "split_net.hpp", "traffic.hpp"]
TOPOLOGY_IDS = {"mesh": 0, "torus": 1, "fly": 2, "anynet": 3, "cmesh": 4}
ALLOCATOR_IDS = {"islip": 0, "separable_input_first": 1, "separable_output_first": 2}
# -fno-semantic-interposition: calls between the library's own functions may be inlined (hot per-cycle path)
FLAGS = ["-fno-semantic-interposition"]
TRAFFIC_IDS = {"uniform": 0, "transpose": 1, "bitcomp": 2, "hotspot": 3}


def gbl():
    """The cppyy `npusim` namespace with the network classes loaded."""
    load_cpp("npusim_noc", [CPP / s for s in SOURCES], [CPP / h for h in HEADERS], [CPP], extra_flags=FLAGS)
    import cppyy

    return cppyy.gbl.npusim


def make_params(vals: dict, *, freq_mhz: float, latency_cycles: int, node_terminal: list[int],
                inject_queue_flits: int, anynet: tuple[list[int], list[int]] | None = None):
    """npusim::NocParams from resolved BookSim values (see booksim_config.resolve)."""
    ns = gbl()
    import cppyy

    p = ns.NocParams()
    p.topology = TOPOLOGY_IDS[vals["topology"]]
    for key in ("k", "n", "num_vcs", "vc_buf_size", "wait_for_tail_credit", "routing_delay", "vc_alloc_delay",
                "sw_alloc_delay", "credit_delay", "alloc_iters", "input_speedup", "output_speedup", "flit_size",
                "hold_switch_for_packet", "speculative", "c", "xr", "yr", "use_noc_latency"):
        setattr(p, key, int(vals[key]))
    # BookSim splits crossbar traversal into st_prepare_delay + st_final_delay; both delay every flit
    p.st_final_delay = int(vals["st_prepare_delay"]) + int(vals["st_final_delay"])
    p.internal_speedup = float(vals["internal_speedup"])
    p.vc_allocator = ALLOCATOR_IDS[vals["vc_allocator"]]
    p.sw_allocator = ALLOCATOR_IDS[vals["sw_allocator"]]
    p.freq_mhz = float(freq_mhz)
    p.latency_cycles = int(latency_cycles)
    p.inject_queue_flits = int(inject_queue_flits)
    p.node_terminal = cppyy.gbl.std.vector["int"](node_terminal)
    if anynet is not None:
        p.anynet_node_router = cppyy.gbl.std.vector["int"](anynet[0])
        p.anynet_links = cppyy.gbl.std.vector["int"](anynet[1])
    return p
