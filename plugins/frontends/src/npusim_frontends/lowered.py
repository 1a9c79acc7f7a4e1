"""One captured ATen graph lowered to kernels: groups, KernelSpecs, untimed ops, eager and tiled execution."""
from __future__ import annotations

import warnings

import torch
import torch.fx as fx
from torch.utils._pytree import tree_flatten

from npusim_frontends import aten_ops as A
from npusim_frontends.execute import eager_node, exec_group
from npusim_frontends.groups import partition
from npusim_frontends.specs import group_kernels, untimed_record

RTOL = {torch.float32: 1e-4, torch.float64: 1e-6, torch.bfloat16: 2e-2, torch.float16: 2e-3}
ATOL = {torch.float32: 1e-4, torch.float64: 1e-6, torch.bfloat16: 2e-2, torch.float16: 2e-3}


class UntimedOpWarning(UserWarning):
    """An op could not be lowered to a kernel: it runs functionally but costs no simulated time."""


class LoweredGraph:
    """Kernels of one FX graph (`tag` = fw | bw | inference | graph name) and how to execute them."""

    def __init__(self, gm: fx.GraphModule, tag: str, passes: set[str], judge=None):
        self.gm = gm
        self.tag = tag
        self.groups = partition(gm, passes, judge)
        self.kernels = []
        self.kernel_group: list[int] = []  # kernel index -> group index
        self.group_kernels: list[list[int]] = []
        self.untimed: list[dict] = []
        for gi, g in enumerate(self.groups):
            ks = group_kernels(g, f"{tag}.{gi}.{A.op_name(g.anchor.target)}")
            idx = []
            for k in ks:
                idx.append(len(self.kernels))
                self.kernels.append(k)
                self.kernel_group.append(gi)
            self.group_kernels.append(idx)
            if g.kind == "untimed":
                rec = untimed_record(g.anchor)
                self.untimed.append(rec)
                warnings.warn(f"npusim: {rec['op']} ({rec['node']}) is not lowered to a kernel; it runs "
                              f"functionally but is untimed ({rec['flops']} FLOPs, {rec['bytes']} bytes)",
                              UntimedOpWarning, stacklevel=2)
        self._out_group = {g.out: g for g in self.groups}
        self._gidx = {id(g): i for i, g in enumerate(self.groups)}
        self._grouped = {n for g in self.groups for n in g.nodes}
        self.mutates = any(n.op == "call_function" and A.is_mutating(n.target) for n in gm.graph.nodes)
        self.random_nodes = [n for n in gm.graph.nodes if n.op == "call_function"
                             and A.op_name(n.target) in A.RANDOM_OPS]

    def _interpret(self, args, call_function):
        """Walk the graph once: placeholders take `args`, call_function nodes go to `call_function(node, env)`
        (which stores its value in env, or leaves it to a later group), the output is returned."""
        env = {}
        out = None
        it = iter(args)
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                env[node] = next(it)
            elif node.op == "get_attr":
                env[node] = getattr(self.gm, node.target)
            elif node.op == "call_function":
                call_function(node, env)
            elif node.op == "output":
                out = _lookup(node.args[0], env)
        return out

    def run_eager(self, args, rng_values: dict | None = None):
        """Reference: every node run with eager ATen kernels; random ops' values recorded in rng_values."""
        def call(node, env):
            env[node] = eager_node(node, env)
            if rng_values is not None and node in self.random_nodes:
                rng_values[node] = env[node]
        return self._interpret(args, call)

    def run_tiled(self, args, mappings: list, rng_values: dict):
        """Every kernel group executed tile by tile with its kernels' mappings (mappings[i] for kernel i)."""
        def call(node, env):
            if node in rng_values:
                env[node] = rng_values[node]
                return
            g = self._out_group.get(node)
            if g is None:
                if node not in self._grouped:
                    env[node] = eager_node(node, env)
                return
            # a group fused into another's kernel (reduction epilogue / sibling) runs on its host's tiles
            maps = [mappings[i] for i in self._kernels_of(g.host or g)] if mappings else []
            env[node] = exec_group(g, env, maps)
        return self._interpret(args, call)

    def _kernels_of(self, g):
        return self.group_kernels[self._gidx[id(g)]]


def _lookup(tree, env):
    from torch.utils._pytree import tree_map

    return tree_map(lambda a: env[a] if isinstance(a, fx.Node) else a, tree)


def compare(got, ref) -> dict:
    """functional_check entry: passed/failed with max abs and rel error over all tensor outputs."""
    g_leaves, _ = tree_flatten(got)
    r_leaves, _ = tree_flatten(ref)
    max_abs, max_rel, ok = 0.0, 0.0, True
    for a, b in zip(g_leaves, r_leaves):
        if not isinstance(b, torch.Tensor) or not isinstance(a, torch.Tensor) or b.numel() == 0:
            continue
        if not (b.is_floating_point() or b.is_complex()):
            ok = ok and bool(torch.equal(a, b))
            continue
        a64, b64 = a.detach().double(), b.detach().double()
        finite = torch.isfinite(b64)
        if not torch.equal(finite, torch.isfinite(a64)) or not torch.equal(a64[~finite], b64[~finite]):
            nan_same = torch.equal(torch.isnan(a64), torch.isnan(b64))
            ok = ok and nan_same and torch.equal(a64[~finite & ~torch.isnan(b64)], b64[~finite & ~torch.isnan(b64)])
        diff = (a64[finite] - b64[finite]).abs()
        if diff.numel():
            rel = diff / b64[finite].abs().clamp_min(1e-12)
            max_abs = max(max_abs, float(diff.max()))
            max_rel = max(max_rel, float(rel.max()))
            tol = ATOL.get(b.dtype, 1e-4) + RTOL.get(b.dtype, 1e-4) * b64[finite].abs()
            ok = ok and bool((diff <= tol).all())
    return {"status": "passed" if ok else "failed", "max_abs_err": max_abs, "max_rel_err": max_rel}
