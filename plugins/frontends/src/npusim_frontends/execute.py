"""Functional execution: run every kernel group tile by tile (torch CPU) in its mapping's tile order."""
from __future__ import annotations

import itertools

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch.utils._pytree import tree_map

from npusim_frontends import aten_ops as A
from npusim_frontends.groups import Group, shape_of, val
from npusim_frontends.specs import reduce_dims


def tile_slices(order, dims: dict[str, int], tiles: dict[str, int]):
    """Yield {dim: slice} for every tile, nested loops in `order` (outermost first)."""
    ranges = []
    for d in order:
        t = max(1, min(int(tiles.get(d, dims[d])), dims[d]))
        ranges.append([slice(i, min(i + t, dims[d])) for i in range(0, dims[d], t)])
    for combo in itertools.product(*ranges):
        yield dict(zip(order, combo))


def _order(mapping, names) -> list[str]:
    order = [d for d in (mapping.order if mapping is not None else ()) if d in names]
    return order + [d for d in names if d not in order]


def _tiles(mapping, dims) -> dict[str, int]:
    return {d: (mapping.tiles.get(d, n) if mapping is not None else n) for d, n in dims.items()}


def restride(meta, t: torch.Tensor) -> torch.Tensor:
    """Give a computed value the shape and strides the traced graph recorded (views downstream rely on them)."""
    if not isinstance(meta, torch.Tensor):
        return t
    t = t.reshape(meta.shape)
    if tuple(t.stride()) == tuple(meta.stride()) or meta.numel() <= 1:
        return t
    out = torch.empty_strided(tuple(meta.shape), tuple(meta.stride()), dtype=t.dtype)
    out.copy_(t)
    return out


class Chain:
    """Epilogue / elementwise chain of a group evaluated on tiles of its canonical space."""

    def __init__(self, group: Group, env: dict, include_anchor: bool):
        self.g = group
        self.env = env
        self.nodes = [group.anchor, *group.chain] if include_anchor else list(group.chain)
        self.members = set(self.nodes) | {group.anchor}
        self._ext: dict = {}

    def _external(self, arg: fx.Node, consumer: fx.Node) -> torch.Tensor:
        key = (arg, consumer)
        if key not in self._ext:
            x = self.env[arg]
            self._ext[key] = x.expand(shape_of(consumer)).reshape(self.g.cshape) if x.dim() or shape_of(
                consumer) else x.reshape(self.g.cshape)
        return self._ext[key]

    def run(self, tile: tuple, start: torch.Tensor | None) -> torch.Tensor:
        local = {} if start is None else {self.g.anchor: start}
        for n in self.nodes:
            if A.op_name(n.target) not in ("getitem",) and n not in local and classify_view(n):
                local[n] = local[n.args[0]]
                continue

            def sub(a, n=n):
                if isinstance(a, fx.Node):
                    if a in local:
                        return local[a]
                    v = self.env[a]
                    if isinstance(v, torch.Tensor):
                        return self._external(a, n)[tile]
                    return v
                return a

            local[n] = n.target(*tree_map(sub, n.args), **tree_map(sub, n.kwargs))
        return local[self.g.out] if self.nodes else start


def classify_view(n: fx.Node) -> bool:
    return A.op_name(n.target) in A.VIEW_OPS


def exec_group(g: Group, env: dict, mappings: list) -> object:
    """Value of g.out computed tile by tile with the group's first kernel mapping (None = whole tensor)."""
    mapping = mappings[0] if mappings else None
    if g.kind in ("gemm", "bmm"):
        out = _matmul(g, env, mapping)
    elif g.kind == "grouped_mm":
        out = _grouped_mm(g, env, mapping)
    elif g.kind == "conv" and _conv_tileable(g):
        out = _conv(g, env, mapping)
    elif g.kind == "pointwise":
        out = _pointwise(g, env, mapping)
    elif g.kind == "reduce" and A.op_name(g.anchor.target) in _REDUCERS:
        if g.host is not None and g.host.kind != "reduce":
            mapping = epilogue_mapping(g, mapping)
        return _reduce(g, env, mapping)
    else:
        out = eager_node(g.anchor, env)
        if g.chain:
            out = _whole_chain(g, env, out)
        return out
    return restride(val(g.out), out)


def _histc(x, bins=100, min=0, max=0, **kw):
    """histc on integer input (accelerator kernels accept it, torch's CPU kernel does not; HF MoE routing
    calls it on int32 off-CPU): counted in fp32, exact below 2**24 per bin, returned in the input dtype."""
    if x.is_floating_point():
        return torch.histc(x, bins, min, max, **kw)
    return torch.histc(x.float(), bins, min, max).to(x.dtype)


# Ops whose accelerator semantics the host CPU kernel lacks: op name -> host implementation.
HOST_IMPLS = {"histc": _histc}


def eager_node(node: fx.Node, env: dict):
    """Run one node on real tensors."""
    args = tree_map(lambda a: env[a] if isinstance(a, fx.Node) else a, node.args)
    kwargs = tree_map(lambda a: env[a] if isinstance(a, fx.Node) else a, node.kwargs)
    impl = HOST_IMPLS.get(A.op_name(node.target), node.target)
    return impl(*args, **kwargs)


def _whole_chain(g: Group, env: dict, start) -> torch.Tensor:
    chain = Chain(g, env, include_anchor=False)
    res = chain.run(tuple(slice(None) for _ in g.cshape), start.reshape(g.cshape))
    return restride(val(g.out), res)


def _matmul(g: Group, env: dict, mapping) -> torch.Tensor:
    node = g.anchor
    name = A.op_name(node.target)
    bias = None
    if name in ("addmm", "baddbmm"):
        bias, a, b = node.args[:3]
        beta, alpha = node.kwargs.get("beta", 1), node.kwargs.get("alpha", 1)
    else:
        a, b = node.args[:2]
    bmm = g.kind == "bmm"
    if g.operand_prologues:  # operand tiles computed by the fused elementwise chains
        x, w = _PrologueOperand(g, "A", a, env), _PrologueOperand(g, "B", b, env)
        *_, m, k = shape_of(a)
        n = shape_of(b)[-1]
        nb = shape_of(a)[0] if bmm else 1
    else:
        x, w = env[a], env[b]
        if not bmm:
            x, w = x.unsqueeze(0), w.unsqueeze(0)
        nb, m, k = x.shape
        n = w.shape[2]
    dims = {"B": nb, "M": m, "N": n, "K": k}
    tiles = _tiles(mapping, {d: dims[d] for d in (("B", "M", "N", "K") if bmm else ("M", "N", "K"))})
    tiles.setdefault("B", 1 if bmm else nb)
    outer = _order(mapping, ("B", "M", "N") if bmm else ("M", "N"))
    if not bmm:
        outer = ["B", *outer]
        tiles["B"] = 1
    bias_full = None
    if bias is not None:
        bias_full = env[bias].expand(shape_of(node)).reshape(nb, m, n)
    chain = Chain(g, env, include_anchor=False)
    out = torch.empty((nb, m, n), dtype=val(g.out).dtype)  # the epilogue may cast (int32 -> fp32 dequant)
    acc_dtype = val(node).dtype if name == "_int_mm" else None
    for t in tile_slices(outer, dims, tiles):
        acc = None
        for kk in tile_slices(["K"], dims, tiles):
            xt, wt = x[t["B"], t["M"], kk["K"]], w[t["B"], kk["K"], t["N"]]
            if acc_dtype is not None:  # _int_mm: int8 tiles multiplied and accumulated in int32
                xt, wt = xt.to(acc_dtype), wt.to(acc_dtype)
            part = xt @ wt
            acc = part if acc is None else acc + part
        if bias_full is not None:
            acc = alpha * acc + beta * bias_full[t["B"], t["M"], t["N"]]
        tile = (t["B"], t["M"], t["N"]) if bmm else (t["M"], t["N"])
        res = chain.run(tile, acc if bmm else acc[0])
        out[t["B"], t["M"], t["N"]] = res if bmm else res.unsqueeze(0)
    return out if bmm else out[0]


class _PrologueOperand:
    """A GEMM/BMM operand indexed like a (batch, rows, cols) tensor (batch 1 for a 2-D GEMM); tiles come
    from its fused prologue chain (run on exactly the tile the GEMM loads) or from the stored value when
    it has none. The chain's (R, C) space holds the batches' (rows, cols) matrices one after another,
    (cols, rows) each when the operand is its transpose."""

    def __init__(self, g: Group, role: str, node: fx.Node, env: dict):
        self.pro = g.operand_prologues.get(role)
        shp = shape_of(node)
        self.rows, self.cols = shp[-2], shp[-1]
        if self.pro is None:
            self.value = env[node] if len(shp) == 3 else env[node].unsqueeze(0)
        else:
            self.chain = Chain(self.pro.group, env, include_anchor=True)

    def __getitem__(self, index):
        batches, rows, cols = index
        if self.pro is None:
            return self.value[batches, rows, cols]
        tiles = []
        for b in range(batches.start, batches.stop):
            if self.pro.transposed:
                base = b * self.cols
                tiles.append(self.chain.run((slice(base + cols.start, base + cols.stop), rows), None).transpose(0, 1))
            else:
                base = b * self.rows
                tiles.append(self.chain.run((slice(base + rows.start, base + rows.stop), cols), None))
        return torch.stack(tiles)


def _grouped_mm(g: Group, env: dict, mapping) -> torch.Tensor:
    """Each expert's rows (from the real offsets) as one GEMM tiled by the bmm mapping's M, N, K tiles."""
    node = g.anchor
    x, w, offs = env[node.args[0]], env[node.args[1]], env[node.args[2]]
    out = torch.zeros((x.shape[0], w.shape[2]), dtype=val(node).dtype)
    start = 0
    for e, end in enumerate(offs.tolist()):
        rows = end - start
        if rows > 0:
            dims = {"M": rows, "N": w.shape[2], "K": w.shape[1]}
            tiles = _tiles(mapping, {"M": min(rows, mapping.tiles.get("M", rows)) if mapping else rows,
                                     "N": dims["N"], "K": dims["K"]})
            tiles["M"] = min(tiles["M"], rows)
            for t in tile_slices(_order(mapping, ("M", "N")), dims, tiles):
                acc = None
                for kk in tile_slices(["K"], dims, tiles):
                    part = x[start + t["M"].start:start + t["M"].stop, kk["K"]] @ w[e, kk["K"], t["N"]]
                    acc = part if acc is None else acc + part
                out[start + t["M"].start:start + t["M"].stop, t["N"]] = acc
        start = end
    chain = Chain(g, env, include_anchor=False)
    return chain.run((slice(None), slice(None)), out) if g.chain else out


def _conv_tileable(g: Group) -> bool:
    x, w = g.anchor.args[:2]
    return not g.anchor.args[6] and len(shape_of(x)) == 4


def _conv(g: Group, env: dict, mapping) -> torch.Tensor:
    """Implicit-GEMM conv: output tiles (N, OH, OW, O per group), accumulated over C, KH, KW tiles."""
    node = g.anchor
    xa, wa, ba, stride, pad, dil, _, _, groups = node.args[:9]
    x, w = env[xa], env[wa]
    s, p, d = int(stride[0]), int(pad[0]), int(dil[0])
    s2, p2, d2 = int(stride[1]), int(pad[1]), int(dil[1])
    xp = F.pad(x, (p2, p2, p, p))
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    og = o // groups
    _, _, oh, ow = shape_of(node)
    dims = {"N": n, "H": oh, "W": ow, "O": og, "C": cg, "KH": kh, "KW": kw}
    tiles = _tiles(mapping, dims)
    outer = _order(mapping, ("N", "H", "W", "O"))
    inner = _order(mapping, ("KH", "KW", "C"))
    bias = env[ba] if ba is not None else None
    chain = Chain(g, env, include_anchor=False)
    out = torch.empty((n, o, oh, ow), dtype=val(g.out).dtype)
    for grp in range(groups):
        for t in tile_slices(outer, dims, tiles):
            hs, ws = t["H"], t["W"]
            osl = slice(grp * og + t["O"].start, grp * og + t["O"].stop)
            acc = None
            for a in tile_slices(inner, dims, tiles):
                r0 = hs.start * s + a["KH"].start * d
                r1 = (hs.stop - 1) * s + (a["KH"].stop - 1) * d + 1
                c0 = ws.start * s2 + a["KW"].start * d2
                c1 = (ws.stop - 1) * s2 + (a["KW"].stop - 1) * d2 + 1
                csl = slice(grp * cg + a["C"].start, grp * cg + a["C"].stop)
                part = F.conv2d(xp[t["N"], csl, r0:r1, c0:c1], w[osl, a["C"], a["KH"], a["KW"]],
                                stride=(s, s2), dilation=(d, d2))
                acc = part if acc is None else acc + part
            if bias is not None:
                acc = acc + bias[osl].view(1, -1, 1, 1)
            tile = (t["N"], osl, hs, ws)
            out[tile] = chain.run(tile, acc)
    return out


def _pointwise(g: Group, env: dict, mapping) -> torch.Tensor:
    r, c = g.cshape
    dims = {"R": r, "C": c}
    chain = Chain(g, env, include_anchor=True)
    out = None
    for t in tile_slices(_order(mapping, ("R", "C")), dims, _tiles(mapping, dims)):
        tile = (t["R"], t["C"])
        res = chain.run(tile, None)
        if out is None:
            out = torch.empty((r, c), dtype=res.dtype)
        out[tile] = res
    return out


def _reduce_partial(name, xb, kwargs, out_dtype):
    if name in ("sum", "mean"):
        return xb.sum(1, dtype=out_dtype if name == "sum" else None)
    if name == "amax":
        return xb.amax(1)
    if name == "amin":
        return xb.amin(1)
    cnt = xb.shape[1]
    mean = xb.mean(1)
    return cnt, mean, ((xb - mean[:, None]) ** 2).sum(1)


def _reduce_combine(name, acc, part):
    if acc is None:
        return part
    if name in ("sum", "mean"):
        return acc + part
    if name == "amax":
        return torch.maximum(acc, part)
    if name == "amin":
        return torch.minimum(acc, part)
    # Chan et al. parallel variance: combine (count, mean, M2) of two chunks.
    na, ma, qa = acc
    nb_, mb, qb = part
    n = na + nb_
    delta = mb - ma
    return n, ma + delta * (nb_ / n), qa + qb + delta * delta * (na * nb_ / n)


_REDUCERS = ("sum", "mean", "amax", "amin", "var_mean")


def epilogue_mapping(g: Group, host_mapping):
    """Reduction tiles of a reduction fused into a GEMM epilogue: the host's output tiles (columns
    reduced: C tile = N tile; rows reduced: C tile = M tile). Row tiling does not change the result."""
    from npusim.kernels import Mapping

    if host_mapping is None:
        return None
    dims, r, c = reduce_dims(g.anchor)
    cols = dims != [0] or len(shape_of(g.anchor.args[0])) == 1
    ct = host_mapping.tiles.get("N" if cols else "M", c)
    return Mapping({"R": r, "C": min(ct, c)}, ("R", "C"))


def _reduce(g: Group, env: dict, mapping):
    """Row tiles of the (kept, reduced) matrix; reduced-axis tiles combined as partial results."""
    node = g.anchor
    name = A.op_name(node.target)
    dims, r, c = reduce_dims(node)
    if g.prologue is not None:  # input tiles computed by the fused elementwise chain (trailing-dim reduction)
        chain = Chain(g.prologue, env, include_anchor=True)

        def tile_of(rs, cs):
            return chain.run((rs, cs), None)
    else:
        x = env[node.args[0]]
        nd = x.dim()
        kept = [i for i in range(nd) if i not in dims]
        xp = x.permute(*kept, *dims).reshape(r, c)

        def tile_of(rs, cs):
            return xp[rs, cs]
    meta = val(node)
    out_dtype = (meta[0] if isinstance(meta, tuple) else meta).dtype
    rows = []
    tdims = {"R": r, "C": c}
    tiles = _tiles(mapping, tdims)
    for t in tile_slices(["R"], tdims, tiles):
        acc = None
        for cc in tile_slices(["C"], tdims, tiles):
            acc = _reduce_combine(name, acc, _reduce_partial(name, tile_of(t["R"], cc["C"]), node.kwargs, out_dtype))
        rows.append(acc)
    if name == "var_mean":
        corr = node.kwargs.get("correction", 1)
        corr = 1 if corr is None else corr
        mean = torch.cat([m for _, m, _ in rows])
        var = torch.cat([q for _, _, q in rows]) / max(c - corr, 0)
        return restride(meta[0], var.to(meta[0].dtype)), restride(meta[1], mean.to(meta[1].dtype))
    res = torch.cat(rows)
    if name == "mean":
        res = res / c
    return restride(meta, res.to(out_dtype))
