"""Classification of ATen/prims ops after Inductor's decompositions: views, pointwise, reductions, copies."""
from __future__ import annotations

import operator

import torch

aten = torch.ops.aten
prims = torch.ops.prims

# Metadata-only ops: no data moves, no kernel (the consumer's DMA reads through the view).
VIEW_OPS = {
    "view", "_unsafe_view", "reshape", "_reshape_alias", "permute", "transpose", "t", "expand", "unsqueeze",
    "squeeze", "select", "slice", "alias", "as_strided", "detach", "split", "split_with_sizes", "unbind",
    "diagonal", "lift_fresh_copy", "unfold", "view_as_real", "view_as_complex", "chunk", "narrow",
    "collapse_view", "split_dim", "expand_copy", "squeeze_copy",
}

# Pointwise op name -> vector instructions per element (npusim.tog.ops.VEC_OPS names). Composite
# transcendental costs follow the usual libm expansions: GELU(erf) = erf + 3 fma, SiLU = sigmoid + fma,
# sin/cos = range reduction + degree-7 polynomial (Cephes sinf/cosf: 4 fma after 1 fma reduction).
POINTWISE_COST = {
    "add": ("add",), "sub": ("add",), "rsub": ("add",), "neg": ("add",), "mul": ("fma",), "div": ("div",),
    "true_divide": ("div",), "reciprocal": ("div",), "fma": ("fma",), "addcmul": ("fma", "fma"),
    "addcdiv": ("div", "fma"), "lerp": ("fma", "fma"), "square": ("fma",), "exp": ("exp",), "exp2": ("exp",),
    "expm1": ("exp", "add"), "log": ("log",), "log2": ("log",), "log1p": ("add", "log"), "sqrt": ("sqrt",),
    "rsqrt": ("sqrt", "div"), "tanh": ("tanh",), "sigmoid": ("sigmoid",), "erf": ("erf",),
    "gelu": ("erf", "fma", "fma", "fma"), "silu": ("sigmoid", "fma"), "relu": ("cmp",),
    "sin": ("fma",) * 5, "cos": ("fma",) * 5, "pow": ("log", "fma", "exp"), "abs": ("cmp",),
    "where": ("cmp",), "maximum": ("cmp",), "minimum": ("cmp",), "clamp": ("cmp", "cmp"),
    "clamp_min": ("cmp",), "clamp_max": ("cmp",), "hardtanh": ("cmp", "cmp"), "leaky_relu": ("cmp", "fma"),
    "threshold_backward": ("cmp",), "sigmoid_backward": ("fma", "fma"), "tanh_backward": ("fma", "fma"),
    "gelu_backward": ("erf", "exp", "fma", "fma", "fma", "fma"), "silu_backward": ("sigmoid", "fma", "fma", "fma"),
    "convert_element_type": ("copy",), "_to_copy": ("copy",), "clone": ("copy",), "copy": ("copy",),
    "masked_fill": ("cmp",), "sign": ("cmp",), "floor": ("cmp",), "ceil": ("cmp",), "round": ("cmp",),
    "trunc": ("cmp",), "remainder": ("div", "fma"), "fmod": ("div", "fma"), "floor_divide": ("div", "cmp"),
    "polar": ("fma",) * 12, "complex": ("copy",), "isnan": ("cmp",), "isinf": ("cmp",), "atan": ("fma",) * 5, "erfinv": ("log", "fma", "fma", "fma", "fma"),
}
DEFAULT_POINTWISE = ("cmp",)  # comparisons, logic and bit ops: one vector instruction per element

# Reductions: name -> (vector ops per element, ops after the reduction).
REDUCTIONS = {
    "sum": (("reduce_sum",), ()), "mean": (("reduce_sum",), ("fma",)), "amax": (("reduce_max",), ()),
    "amin": (("reduce_max",), ()), "max": (("reduce_max",), ()), "min": (("reduce_max",), ()),
    "var_mean": (("fma", "reduce_sum"), ("fma", "fma")), "var": (("fma", "reduce_sum"), ("fma", "fma")),
    "prod": (("reduce_sum",), ()), "argmax": (("reduce_max", "cmp"), ()), "argmin": (("reduce_max", "cmp"), ()),
    "any": (("reduce_max",), ()), "all": (("reduce_max",), ()), "logsumexp": (("exp", "reduce_sum"), ("log",)),
    "_log_softmax": (("exp", "reduce_sum"), ("log", "add")), "_softmax": (("exp", "reduce_sum"), ("div",)),
}

# Data-movement ops timed as a vector copy of their output (gathers read one row per output row).
COPY_OPS = {
    "cat", "stack", "index", "index_select", "gather", "embedding", "scatter", "scatter_add", "scatter_reduce",
    "index_put", "index_add", "slice_scatter", "select_scatter", "constant_pad_nd", "repeat", "flip", "roll",
    "full", "full_like", "zeros", "zeros_like", "ones", "ones_like", "empty", "empty_like", "scalar_tensor",
    "arange", "iota", "fill", "new_zeros", "new_ones", "new_empty", "new_full", "embedding_dense_backward",
    "tril", "triu", "rand", "randn", "rand_like", "randn_like", "bernoulli", "native_dropout",
    "repeat_interleave", "_unsafe_index", "_unsafe_index_put", "empty_strided", "upsample_nearest2d",
    "masked_scatter", "as_strided_scatter", "diagonal_scatter", "pad", "cumsum", "sort", "topk",
    "_low_memory_max_pool_with_offsets", "_low_memory_max_pool_offsets_to_indices",
    "max_pool2d_with_indices", "max_pool2d_with_indices_backward", "avg_pool2d", "avg_pool2d_backward",
    "_adaptive_avg_pool2d", "_adaptive_avg_pool2d_backward", "adaptive_max_pool2d", "upsample_bilinear2d",
    "bucketize", "searchsorted", "histc", "nonzero", "one_hot",
}
# MoE expert GEMMs: x[S,K] rows grouped by expert, w[E,K,N], offs[E] cumulative row counts.
GROUPED_MM_OPS = {"grouped_mm_fallback", "_grouped_mm"}
# Copy-class ops whose cost is a window reduction: vector ops per output element and window size.
WINDOW_OPS = {"_low_memory_max_pool_with_offsets": "reduce_max", "max_pool2d_with_indices": "reduce_max",
              "avg_pool2d": "reduce_sum", "_adaptive_avg_pool2d": "reduce_sum", "adaptive_max_pool2d": "reduce_max",
              "max_pool2d_with_indices_backward": "add", "avg_pool2d_backward": "add",
              "_adaptive_avg_pool2d_backward": "add", "sort": "cmp", "topk": "cmp", "cumsum": "add"}
RANDOM_OPS = {"rand", "randn", "rand_like", "randn_like", "bernoulli", "native_dropout", "randint",
              "inductor_random", "inductor_seeds", "inductor_lookup_seed", "normal", "uniform"}
MATMUL_OPS = {"mm", "addmm", "bmm", "baddbmm", "matmul", "linear", "dot", "mv"}
CONV_OPS = {"convolution", "convolution_backward", "_convolution"}
SDPA_OPS = {"_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_attention_math",
            "_scaled_dot_product_efficient_attention", "_scaled_dot_product_flash_attention",
            "scaled_dot_product_attention", "_scaled_dot_product_fused_attention_overrideable"}
COPY_OPS |= {"copy_"}  # input mutation written back (optimizer updates of parameters and state)


def is_mutating(target) -> bool:
    """True for ops that write one of their inputs (the eager reference must then run on copies)."""
    schema = getattr(target, "_schema", None)
    return bool(schema is not None and schema.is_mutable)


def op_name(target) -> str:
    """Short ATen/prims name of a call_function target: aten.add.Tensor -> 'add'."""
    if target is operator.getitem:
        return "getitem"
    if isinstance(target, torch._ops.OpOverload):
        return target._schema.name.split("::")[-1]
    if isinstance(target, torch._ops.OpOverloadPacket):
        return target._qualified_op_name.split("::")[-1]
    return getattr(target, "__name__", str(target))


def full_name(target) -> str:
    """Qualified name, e.g. 'aten.add.Tensor'."""
    return str(target)


def is_pointwise(target) -> bool:
    """True for elementwise ops (ATen pointwise tag or a known pointwise name)."""
    name = op_name(target)
    if name in POINTWISE_COST:
        return True
    tags = getattr(target, "tags", ())
    return torch.Tag.pointwise in tags and not name.startswith("_foreach")


def pointwise_cost(target) -> tuple[str, ...]:
    """Vector instructions per element of a pointwise op."""
    return POINTWISE_COST.get(op_name(target).rstrip("_"), DEFAULT_POINTWISE)


def node_cost(node) -> tuple[str, ...]:
    """Vector instructions per element of a pointwise FX node (integer powers are multiply chains)."""
    if op_name(node.target) == "pow" and len(node.args) > 1 and isinstance(node.args[1], (int, float)):
        e = node.args[1]
        if float(e).is_integer() and 1 <= e <= 4:
            return ("fma",) * max(int(e) - 1, 1)
        if e == 0.5:
            return ("sqrt",)
    return pointwise_cost(node.target)
