"""Reference TOG interpreter for tests: every dynamic instance in program order and the elements a DMA touches."""
from __future__ import annotations

import numpy as np

from npusim.tog import Dma, Loop


def instances(tog, ids=None, env=None):
    """Yield (node, env) for every dynamic instance of every non-loop node, in program order."""
    env = env or {}
    for i in tog.root if ids is None else ids:
        node = tog.nodes[i]
        if isinstance(node, Loop):
            for v in range(node.start, node.end, node.step):
                yield from instances(tog, node.body, {**env, node.var: v})
        else:
            yield node, env


def elements(dma: Dma, env) -> np.ndarray:
    """Flat element indices one DMA instance touches (edge tiles shrink at their bound)."""
    idx = np.array([sum(env[v] * c for v, c in dma.offset.items())])
    for d in dma.dims:
        start = env[d.var] if d.var else 0
        ext = min(d.size, d.bound - start) if d.var else d.size
        idx = (idx[:, None] + (start + np.arange(ext)) * d.stride).ravel()
    return idx
