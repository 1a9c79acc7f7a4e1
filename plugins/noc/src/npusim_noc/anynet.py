"""Read BookSim anynet topology files: `router R node N ... router R2 [latency] ...` lines."""
from __future__ import annotations

from pathlib import Path

from npusim.errors import ConfigError


def read_anynet(path: str | Path) -> tuple[list[int], list[int]]:
    """(terminal -> router, [src, dst, latency]*) with routers renumbered densely in order of appearance.

    As in BookSim: a router-router entry connects both directions with latency 1 unless a weight follows,
    which sets that one direction; a node attaches to exactly one router; node ids must be 0..N-1.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"anynet network_file not found: {p}")
    router_ids: dict[int, int] = {}
    node_router: dict[int, int] = {}
    links: dict[tuple[int, int], int] = {}

    def rid(x: int) -> int:
        return router_ids.setdefault(x, len(router_ids))

    for ln, line in enumerate(p.read_text().splitlines(), 1):
        toks = line.split("//")[0].split()
        if not toks:
            continue
        where = f"{p}:{ln}"
        if toks[0] not in ("router", "node") or len(toks) < 2:
            raise ConfigError(f"{where}: line must start with 'router ID' or 'node ID'")
        try:
            head_kind, head = toks[0], int(toks[1])
            i = 2
            last = None
            while i < len(toks):
                kind = toks[i]
                if kind not in ("router", "node"):
                    if last is None or last[0] != "router" or head_kind != "router":
                        raise ConfigError(f"{where}: unexpected {kind!r} (a latency may follow only 'router ID')")
                    lat = int(kind)
                    if lat < 1:
                        raise ConfigError(f"{where}: link latency must be >= 1, got {lat}")
                    links[(rid(head), rid(last[1]))] = lat
                    i += 1
                    continue
                other = int(toks[i + 1])
                if head_kind == "node" and kind == "node":
                    raise ConfigError(f"{where}: cannot connect node to node")
                if kind == "node" or head_kind == "node":
                    node, router = (other, head) if kind == "node" else (head, other)
                    r = rid(router)
                    if node_router.get(node, r) != r:
                        raise ConfigError(f"{where}: node {node} connected to two routers")
                    node_router[node] = r
                else:
                    a, b = rid(head), rid(other)
                    links.setdefault((a, b), 1)
                    links.setdefault((b, a), 1)
                last = (kind, other)
                i += 2
            if head_kind == "router":
                rid(head)
        except (ValueError, IndexError):
            raise ConfigError(f"{where}: expected 'router|node ID' pairs and integer latencies") from None
    n = len(node_router)
    if n == 0:
        raise ConfigError(f"{p}: no nodes attached to routers")
    if sorted(node_router) != list(range(n)):
        raise ConfigError(f"{p}: node ids must be 0..{n - 1}, got {sorted(node_router)[:8]}...")
    flat = [x for (a, b), lat in sorted(links.items()) for x in (a, b, lat)]
    return [node_router[i] for i in range(n)], flat
