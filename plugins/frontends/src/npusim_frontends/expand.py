"""ATen-graph rewrites before fusion: fused SDPA ops that reach the ATen graph become BMM + softmax + BMM."""
from __future__ import annotations

import operator

import torch
import torch.fx as fx
from torch.fx.experimental.proxy_tensor import make_fx

from npusim_frontends import aten_ops as A

FLASH_FWD = {"_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention",
             "_scaled_dot_product_efficient_attention", "_scaled_dot_product_attention_math"}


def _meta_tensor(v):
    return torch.zeros(tuple(v.shape), dtype=v.dtype) if isinstance(v, torch.Tensor) else v


def expand_sdpa(gm: fx.GraphModule, decomps: dict) -> int:
    """Replace fused SDPA forward nodes by the traced math decomposition; returns how many were replaced.

    Only the attention output (getitem 0) may be used; graphs that also consume the log-sum-exp (training
    with a fused SDPA backward) keep the fused node, which is then reported as untimed.
    """
    from npusim_frontends.backend import sdpa_math

    count = 0
    for node in list(gm.graph.nodes):
        if node.op != "call_function" or A.op_name(node.target) not in FLASH_FWD:
            continue
        users = list(node.users)
        if not all(u.target is operator.getitem and u.args[1] == 0 for u in users):
            continue
        q, k, v = node.args[:3]
        dropout = node.args[3] if len(node.args) > 3 else node.kwargs.get("dropout_p", 0.0)
        causal = node.args[4] if len(node.args) > 4 else node.kwargs.get("is_causal", False)
        mask = node.kwargs.get("attn_mask")
        scale = node.kwargs.get("scale")
        if dropout:
            continue
        ins = [q, k, v] + ([mask] if mask is not None else [])
        examples = [_meta_tensor(i.meta["val"]) for i in ins]

        stride = users[0].meta["val"].stride() if users else ()
        order = sorted(range(len(stride)), key=lambda i: -stride[i])

        def fn(*t, causal=causal, scale=scale, has_mask=mask is not None, order=order):
            r = sdpa_math(t[0], t[1], t[2], attn_mask=t[3] if has_mask else None, is_causal=causal, scale=scale)
            if order != sorted(order):  # the fused op's output layout (e.g. (B, L, H, D) memory order)
                inv = [order.index(i) for i in range(len(order))]
                r = r.permute(order).contiguous().permute(inv)
            return r

        sub = make_fx(fn, decomposition_table=decomps, tracing_mode="fake")(*examples)
        with gm.graph.inserting_before(node):
            phs = [n for n in sub.graph.nodes if n.op == "placeholder"]
            out = gm.graph.graph_copy(sub.graph, dict(zip(phs, ins)), return_output_node=False)
        for u in users:
            u.replace_all_uses_with(out)
            gm.graph.erase_node(u)
        gm.graph.erase_node(node)
        count += 1
    if count:
        gm.graph.lint()
        gm.recompile()
    return count
