"""torch.compile backend "npusim": AOTAutograd fw/bw ATen graphs (Inductor decompositions) -> kernels -> simulation."""
from __future__ import annotations

import copy
import math
import os
import time

import torch
import torch._inductor.lowering  # noqa: F401  (Inductor's max-pool decomposition consults it)
import torch.nn.functional as F
from functorch.compile import make_boxed_func
from torch._dynamo.backends.common import aot_autograd
from torch._inductor.decomposition import select_decomp_table

from npusim_frontends.groups import fusion_passes
from npusim_frontends.lowered import LoweredGraph, compare

# Encoder layers must not take the fused MHA fast path (one opaque op); decided when dynamo traces.
torch.backends.mha.set_fastpath_enabled(False)


def sdpa_math(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    """Scaled-dot-product attention as BMM + softmax + BMM, so both passes lower to timed kernels."""
    L, S = q.shape[-2], k.shape[-2]
    sc = scale if scale is not None else 1.0 / math.sqrt(q.shape[-1])
    if enable_gqa and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k, v = k.repeat_interleave(rep, -3), v.repeat_interleave(rep, -3)
    s = (q @ k.transpose(-2, -1)) * sc
    if is_causal:
        keep = torch.ones(L, S, dtype=torch.bool, device=q.device).tril(diagonal=0)
        s = s.masked_fill(~keep, float("-inf"))
    if attn_mask is not None:
        s = s.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else s + attn_mask
    p = torch.softmax(s, -1)
    if dropout_p > 0.0:
        p = F.dropout(p, dropout_p)
    return p @ v


SDPA_TARGETS = (F.scaled_dot_product_attention, torch._C._nn.scaled_dot_product_attention)


def _rewrite_sdpa(gm: torch.fx.GraphModule) -> None:
    changed = False
    for n in gm.graph.nodes:
        if n.op == "call_function" and n.target in SDPA_TARGETS:
            n.target = sdpa_math
            changed = True
    if changed:
        gm.recompile()


def decompositions() -> dict:
    """Inductor's decomposition table (what Inductor itself lowers from)."""
    return dict(select_decomp_table())


def env_functional(default: bool) -> bool:
    v = os.environ.get("NPUSIM_FUNCTIONAL")
    return default if v is None else v.strip().lower() not in ("0", "false", "off", "no", "")


class Session:
    """Compilation state of one machine: captured graphs and the result of every graph call."""

    def __init__(self, config=None, functional: bool | None = None, plugins=None, progress: bool = False,
                 fusion=None):
        from npusim.config import MachineConfig, load_config

        self.machine = config if isinstance(config, MachineConfig) else load_config(config)
        self.functional = env_functional(self.machine.sim.functional) if functional is None else functional
        self.passes = fusion_passes(self.machine.sim.compiler_optimization if fusion is None else fusion)
        self.plugins = plugins
        self.progress = progress
        self.graphs: list[LoweredGraph] = []
        self.results: list = []
        self.timings = {"compile_s": 0.0, "map_simulate_s": 0.0, "functional_s": 0.0}
        self._sim: dict[int, object] = {}
        self._ncaptured = 0
        self.graph_hooks: list = []  # callables(gm) applied to every ATen graph before lowering
        self._judged: dict = {}  # (fused, unfused kernel signatures) -> fused not slower

    # -- torch.compile entry ------------------------------------------------------------------------
    def __call__(self, gm: torch.fx.GraphModule, example_inputs):
        _rewrite_sdpa(gm)
        gid = self._ncaptured
        self._ncaptured += 1

        def compiler(tag):
            def comp(g, ex):
                return make_boxed_func(self.wrap(g, f"g{gid}.{tag}"))
            return comp

        return aot_autograd(fw_compiler=compiler("fw"), bw_compiler=compiler("bw"),
                            inference_compiler=compiler("inf"), decompositions=decompositions(),
                            keep_inference_input_mutations=True)(gm, example_inputs)

    def wrap(self, gm: torch.fx.GraphModule, tag: str):
        from npusim_frontends.expand import expand_sdpa

        t0 = time.perf_counter()
        expand_sdpa(gm, decompositions())
        for hook in self.graph_hooks:
            hook(gm)
        lg = LoweredGraph(gm, tag, self.passes, judge=self.not_slower)
        self.graphs.append(lg)
        self.timings["compile_s"] += time.perf_counter() - t0

        def run(*args):
            return self.execute(lg, list(args))
        return run

    def not_slower(self, fused: list, unfused: list) -> bool:
        """Fusion judge: the fused kernels simulate in no more cycles than the unfused ones (always true
        with the timing simulation off: nothing to compare)."""
        if not self.machine.sim.timing:
            return True
        from npusim_frontends import simulate as sim

        key = (tuple(k.signature() for k in fused), tuple(k.signature() for k in unfused))
        if key not in self._judged:
            cf = sim.run(fused, self.machine, self.plugins).total_cycles
            cu = sim.run(unfused, self.machine, self.plugins).total_cycles
            self._judged[key] = cf <= cu
        return self._judged[key]

    # -- one call of one graph ------------------------------------------------------------------------
    def simulate(self, lg: LoweredGraph):
        """SimResult of a graph's kernels (simulated once; timing does not depend on the data)."""
        if id(lg) not in self._sim:
            from npusim_frontends import simulate as sim

            t0 = time.perf_counter()
            with _status(self.progress, f"map + simulate {lg.tag}: {len(lg.kernels)} kernels"):
                self._sim[id(lg)] = sim.run(lg.kernels, self.machine, self.plugins)
            self.timings["map_simulate_s"] += time.perf_counter() - t0
        return self._sim[id(lg)]

    def simulate_sparse(self, lg: LoweredGraph, operands: dict):
        """SimResult of one call's kernels timed on its GEMM operand data (timing.sparsity; not cached)."""
        from npusim_frontends import sparsity

        t0 = time.perf_counter()
        with _status(self.progress, f"map + simulate {lg.tag} (sparsity): {len(lg.kernels)} kernels"):
            res = sparsity.simulate(lg.kernels, operands, self.machine, self.plugins)
        self.timings["map_simulate_s"] += time.perf_counter() - t0
        return res

    def execute(self, lg: LoweredGraph, args: list):
        from npusim_frontends import sparsity

        sparse = self.machine.sim.timing and sparsity.enabled(self.machine)
        base = None if sparse else self.simulate(lg)
        rng: dict = {}
        with torch.no_grad():
            # Graphs that write their inputs (optimizer steps) run the reference on copies: the
            # tiled execution below then applies the update to the real tensors exactly once.
            ref_args = [a.clone() if isinstance(a, torch.Tensor) else a for a in args] if (
                lg.mutates and self.functional) else args
            if sparse:  # timing depends on this call's data: GEMM operands from the reference run
                ref, operands = sparsity.run_eager_capture(lg, ref_args, rng)
                base = self.simulate_sparse(lg, operands)
            else:
                ref = lg.run_eager(ref_args, rng)
            if self.functional:
                t0 = time.perf_counter()
                got = lg.run_tiled(args, list(getattr(base, "mappings", []) or []), rng)
                check = compare(got, ref)
                self.timings["functional_s"] += time.perf_counter() - t0
            else:
                got, check = ref, {"status": "off", "max_abs_err": None, "max_rel_err": None}
        res = copy.copy(base)
        res.extra = {**(getattr(base, "extra", None) or {}), "graph": lg.tag, "functional_check": check,
                     "untimed_ops": list(lg.untimed), "num_kernels": len(lg.kernels)}
        self.results.append(res)
        return got

    @property
    def last_result(self):
        return self.results[-1] if self.results else None


class _status:
    """rich status spinner while a long phase runs (no-op when progress is off)."""

    def __init__(self, on: bool, text: str):
        self.on, self.text, self._s = on, text, None

    def __enter__(self):
        if self.on:
            from rich.console import Console

            self._s = Console(stderr=True).status(self.text)
            self._s.__enter__()
        return self

    def __exit__(self, *exc):
        if self._s is not None:
            self._s.__exit__(*exc)


_DEFAULT: Session | None = None


def default_session() -> Session:
    """Session used by torch.compile(backend="npusim"): machine from $NPUSIM_CONFIG (default tpuv3)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Session()
    return _DEFAULT


def npusim_backend(gm, example_inputs, **options):
    """The `torch_dynamo_backends` entry point `npusim` (machine from $NPUSIM_CONFIG)."""
    return default_session()(gm, example_inputs)
