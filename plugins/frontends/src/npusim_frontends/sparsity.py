"""Sparsity-aware simulation: GEMM operand data from the functional run -> zero-tile MOVIN skips and fold timing.

With `[timing] sparsity = true` (npusim-cores "systolic"), every GEMM/BMM kernel of a graph call is timed on
its actual operands (PyTorchSim semantics: a zero tile skips its MOVIN and zeroes the dependent matmuls):
  * an all-zero DMA tile of A (t_M x k_step) or B (k_step x t_N), the lowering's own load tiles, is not
    loaded (no DRAM traffic, no scratchpad) every time the TOG would load it;
  * a GEMM instance whose A or B tile is all zero is not issued (zero latency, passes its array queue);
  * otherwise array folds whose stationary block or streamed slice is all zero are skipped and the
    instance takes the fold-level latency of npusim_cores.sparsity.sparse_gemm_timing.
The engine applies these per instance (npusim.engine.sparsity.hpp) and reports them in stats "sparsity".
A GEMM/BMM with a fused operand prologue is timed dense (see plan_gemm).
"""
from __future__ import annotations

import attrs
import numpy as np
from npusim.errors import ConfigError, NpusimError
from npusim.tog.ops import Compute, Dma, Loop

from npusim_frontends.execute import eager_node


def enabled(machine) -> bool:
    """True when the machine's timing component has `sparsity = true`."""
    try:
        params = machine.params("timing")
    except (KeyError, AttributeError):
        return False
    return bool(getattr(params, "sparsity", False))


@attrs.define
class Prediction:
    """What the plan tells the engine to skip (summed over kernels); the engine's stats must match."""

    loads_skipped: int = 0
    bytes_skipped: int = 0
    gemms_skipped: int = 0
    gemms_reduced: int = 0
    zero_tiles_a: int = 0
    zero_tiles_b: int = 0

    def add(self, other: Prediction) -> None:
        for f in attrs.fields(Prediction):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _np3(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu()
        if str(x.dtype) in ("torch.bfloat16", "torch.float16"):
            x = x.float()
        x = x.numpy()
    x = np.asarray(x)
    return x[None] if x.ndim == 2 else x


def _layout(tog):
    """(loops by var, A load, B load, GEMM nodes, fed through a prologue) of a lowered GEMM/BMM TOG; the last is
    True when a GEMM reads an operand through fused prologue vector ops instead of straight from its load."""
    loops, loads, gemms = {}, {}, []
    for node, _ in tog.walk():
        if isinstance(node, Loop):
            loops[node.var] = node
        elif isinstance(node, Dma) and node.direction == "load":
            loads[node.tensor] = node
        elif isinstance(node, Compute) and node.unit == "gemm":
            gemms.append(node)
    la, lb = loads.get("A"), loads.get("B")

    def sources(ids):  # the loads a node's inputs come from, through prologue vector ops
        out = set()
        for i in ids:
            n = tog.nodes[i]
            out |= sources(n.deps) if isinstance(n, Compute) and n.unit == "vector" else {i}
        return out
    ok = (la is not None and lb is not None and [d.var for d in la.dims] == ["m", "k"]
          and [d.var for d in lb.dims] == ["k", "n"] and all(sources(g.deps) >= {la.id, lb.id} for g in gemms))
    if not ok:
        raise NpusimError(f"sparsity: kernel {tog.name!r} is not a lowered GEMM (loads A[m,k], B[k,n] feeding the "
                          "gemm nodes); cannot map its operand data to tiles")
    return loops, la, lb, gemms, not all(set(g.deps) >= {la.id, lb.id} for g in gemms)


def _span(dim, x: int, full: int) -> slice:
    """Element range of compute/DMA dim `dim` when its loop variable is at x (see npusim.tog.ops.Dim)."""
    off = getattr(dim, "offset", 0)
    bound = full if dim.bound is None else dim.bound
    start = x + off
    return slice(start, max(start, min(start + dim.size, bound)))


def plan_gemm(sim, kid: int, a, b, timing) -> Prediction:
    """Register kernel `kid`'s zero tiles and data-dependent GEMM timings with `sim` (a Simulator).

    `a` [M,K] or [B,M,K] and `b` [K,N] or [B,K,N] are the kernel's operand values; `timing` the built
    "systolic" component (npusim_cores.sparsity.sparse_gemm_timing times the live folds).
    """
    from npusim_cores.sparsity import nonzero_blocks, sparse_gemm_timing

    tog = sim._kernels[kid]
    loops, la, lb, gemms, prologue = _layout(tog)
    if prologue:
        # The engine names a GEMM instance by the tiles of its two load dependencies (engine.cpp
        # sparse_lookup) and a prologue-fused operand reaches the GEMM through vector ops; the raw tile must
        # be loaded to run the prologue anyway. Such a kernel is timed dense (nothing skipped or predicted).
        return Prediction()
    a3, b3 = _np3(a), _np3(b)
    nb, M, K = a3.shape
    N = b3.shape[2]
    want_a, want_b = tuple(tog.tensors["A"].shape), tuple(tog.tensors["B"].shape)
    if a3.shape != want_a or b3.shape != want_b:
        raise NpusimError(f"sparsity: kernel {tog.name!r}: operand data {tuple(a3.shape)} @ {tuple(b3.shape)} does "
                          f"not match the kernel's A {want_a} and B {want_b}")
    tm, tk, tn = la.dims[0].size, la.dims[1].size, lb.dims[1].size
    eb_a, eb_b = tog.tensors["A"].elem_bytes, tog.tensors["B"].elem_bytes
    starts = {v: (range(loops[v].start, loops[v].end, loops[v].step) if v in loops else range(0, 1))
              for v in ("m", "n", "k")}
    mi, ni, ki = (np.asarray(starts[v]) for v in ("m", "n", "k"))
    # Tile-level zero maps [b, m tile, k tile] of A and [b, k tile, n tile] of B, and which tiles hold
    # any zero element at all (only those can have skipped folds).
    zero_a = np.stack([~nonzero_blocks(a3[i], tm, tk) for i in range(nb)])
    zero_b = np.stack([~nonzero_blocks(b3[i], tk, tn) for i in range(nb)])
    some_a = np.stack([nonzero_blocks(a3[i] == 0, tm, tk) for i in range(nb)])
    some_b = np.stack([nonzero_blocks(b3[i] == 0, tk, tn) for i in range(nb)])
    pred = Prediction()

    def a_tile(bi, m, k):  # element offset of A[b, m, k] (the TOG's A is [B, M, K] row-major)
        return int(bi * M * K + m * K + k)

    def b_tile(bi, k, n):
        return int(bi * K * N + k * N + n)
    za = np.argwhere(zero_a)
    zb = np.argwhere(zero_b)
    if len(za):
        sim.skip_loads(kid, la.id, [a_tile(bi, mi[m], ki[k]) for bi, m, k in za])
    if len(zb):
        sim.skip_loads(kid, lb.id, [b_tile(bi, ki[k], ni[n]) for bi, k, n in zb])
    # Every A tile is loaded once per N tile and every B tile once per M tile (one load pair per GEMM step).
    for _, m, k in za:
        pred.loads_skipped += len(ni)
        pred.bytes_skipped += len(ni) * (min(tm, M - mi[m]) * min(tk, K - ki[k])) * eb_a
    for _, k, n in zb:
        pred.loads_skipped += len(mi)
        pred.bytes_skipped += len(mi) * (min(tk, K - ki[k]) * min(tn, N - ni[n])) * eb_b
    pred.zero_tiles_a, pred.zero_tiles_b = len(za), len(zb)
    cand = (zero_a | some_a)[:, :, None, :] | (zero_b | some_b).transpose(0, 2, 1)[:, None, :, :]
    rows: dict[int, list] = {g.id: [] for g in gemms}
    for bi, m, n, k in np.argwhere(cand):
        x = {"m": int(mi[m]), "n": int(ni[n]), "k": int(ki[k])}
        key = (a_tile(bi, x["m"], x["k"]), b_tile(bi, x["k"], x["n"]))
        whole_zero = zero_a[bi, m, k] or zero_b[bi, k, n]
        for g in gemms:
            rs, cs, ks = (_span(d, x[v], full) for d, v, full in zip(g.dims, "mnk", (M, N, K), strict=True))
            if rs.stop <= rs.start or cs.stop <= cs.start or ks.stop <= ks.start:
                continue  # an empty array part: costs nothing either way
            if whole_zero:
                rows[g.id].append((*key, 0, 0))
                pred.gemms_skipped += 1
                continue
            r = sparse_gemm_timing(timing, a3[bi, rs, ks], b3[bi, ks, cs])
            if r.folds_skipped:
                rows[g.id].append((*key, r.latency, r.occupancy))
                if r.latency == 0:
                    pred.gemms_skipped += 1
                else:
                    pred.gemms_reduced += 1
    for gid, rr in rows.items():
        if rr:
            sim.sparse_gemms(kid, gid, rr)
    return pred


def gemm_operands(lg) -> dict[int, tuple]:
    """kernel index -> (A node, B node) for the GEMM/BMM kernels of a LoweredGraph."""
    from npusim_frontends import aten_ops as A

    out = {}
    for i, gi in enumerate(lg.kernel_group):
        g = lg.groups[gi]
        if g.kind not in ("gemm", "bmm") or lg.kernels[i].op not in ("gemm", "bmm"):
            continue
        name = A.op_name(g.anchor.target)
        out[i] = tuple(g.anchor.args[1:3]) if name in ("addmm", "baddbmm") else tuple(g.anchor.args[:2])
    return out


def run_eager_capture(lg, args, rng_values: dict):
    """lg.run_eager plus the operand values of its GEMM kernels: (outputs, {kernel index: (A, B)})."""
    want = gemm_operands(lg)
    seen: dict = {}

    def call(node, env):
        seen["env"] = env
        env[node] = eager_node(node, env)
        if node in lg.random_nodes:
            rng_values[node] = env[node]
    out = lg._interpret(args, call)
    env = seen.get("env", {})
    return out, {i: (env[a], env[b]) for i, (a, b) in want.items() if a in env and b in env}


def simulate(kernels, operands: dict[int, tuple], machine, plugins=None, trace: bool = False):
    """Map, lower and simulate `kernels` like npusim.driver.run_kernels, timing GEMMs on their operand data.

    The result's extra["sparsity_predicted"] is what the plan asked the engine to skip; extra["sparsity"]
    is what the engine did (equal when every instance was reached).
    """
    from npusim.driver import make_mapper
    from npusim.engine.simulator import Simulator
    from npusim.lowering import lower

    if plugins is None:
        from npusim.plugins import make_plugins

        plugins = make_plugins()
    sim = Simulator(machine, plugins, trace=trace)
    timing = sim.components.timing
    if not hasattr(timing, "rows") or not hasattr(getattr(timing, "cpp", None), "gemm_folds"):
        raise ConfigError(f"timing.sparsity: needs the 'systolic' timing component, not {machine.impl('timing')!r}")
    mapper = make_mapper(machine, plugins, timing)
    mappings, pred = [], Prediction()
    for i, kernel in enumerate(kernels):
        mapping = mapper.best(kernel)
        mappings.append(mapping)
        kid = sim.add(lower(kernel, mapping, machine))
        if i in operands:
            pred.add(plan_gemm(sim, kid, *operands[i], timing))
        sim.launch(kid)
    sim.run_until(None)
    result = sim.result()
    result.mappings = mappings
    result.extra["sparsity_predicted"] = attrs.asdict(pred)
    return result
