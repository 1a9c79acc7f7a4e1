"""EXPERIMENTAL `npu` device (PrivateUse1 from pure Python): tensors live on the host, compiled graphs run on npusim.

dev = npusim.device(); model.to(dev); torch.compile(model)(x.to(dev)) routes the default (Inductor)
compile of graphs whose inputs are on `npu` to the npusim backend. Eager ops on npu tensors outside a
compiled graph are executed on the host data but reported: each raises an EagerOpWarning and is
listed in `eager_ops()`, never silently run.

All 11 zoo models at test size match eager on the device. Model code that branches on
`device.type == "cpu"` takes its accelerator path; host ops the CPU lacks for such paths are supplied by
execute.HOST_IMPLS (deepseek-moe's MoE routing: `torch.histc` on int32).
Known limitation (why it is experimental): eager-mode views of npu tensors are host copies (writes
through such a view do not reach the base).
"""
from __future__ import annotations

import warnings

import torch

_STATE: dict = {"ready": False, "session": None, "eager": []}
_DATA: dict[int, torch.Tensor] = {}  # npu storage address -> flat host tensor holding its elements


class EagerOpWarning(UserWarning):
    """An op ran eagerly on the npu device (outside any compiled graph): it is not simulated."""


def _key(t: torch.Tensor) -> int:
    return t.untyped_storage()._cdata


def _wrap(host: torch.Tensor) -> torch.Tensor:
    """New npu tensor (contiguous) whose elements are a contiguous copy-free view of `host` when possible."""
    host = host.contiguous()
    t = torch._C._acc.create_empty_tensor(tuple(host.shape), host.dtype)
    _DATA[_key(t)] = host.reshape(-1)
    return t


def host(t):
    """Host (CPU) tensor holding an npu tensor's data (aliases share it); other values unchanged."""
    if isinstance(t, torch.Tensor) and t.device.type == "npu" and not isinstance(t, torch._subclasses.FakeTensor):
        flat = _DATA.get(_key(t))
        if flat is None:
            raise RuntimeError("npu tensor without host data (created outside npusim's device path)")
        return flat.as_strided(tuple(t.shape), tuple(t.stride()), t.storage_offset())
    return t


def to_device(t):
    """npu tensor wrapping a host tensor; other values unchanged."""
    return _wrap(t) if isinstance(t, torch.Tensor) and t.device.type == "cpu" else t


def eager_ops() -> list[str]:
    """Ops that ran eagerly on npu tensors (outside compiled graphs) since the device was created."""
    return list(_STATE["eager"])


def _register(lib) -> None:
    from torch.utils._pytree import tree_map

    def empty_memory_format(size, *, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
        return _wrap(torch.empty(size, dtype=dtype or torch.get_default_dtype()))

    def empty_strided(size, stride, *, dtype=None, layout=None, device=None, pin_memory=None):
        return _wrap(torch.empty_strided(size, stride, dtype=dtype or torch.get_default_dtype()))

    def copy_from(src, dst, non_blocking=False):
        data = host(src) if src.device.type == "npu" else src
        if dst.device.type == "npu":
            host(dst).copy_(data)
        else:
            dst.copy_(data)
        return dst

    def copy_from_and_resize(src, dst):
        data = host(src) if src.device.type == "npu" else src
        if dst.device.type == "npu":
            _DATA[_key(dst)] = data.clone().reshape(-1)
        else:
            dst.resize_(data.shape).copy_(data)
        return dst

    def view_like(op):
        def impl(t, *args, **kwargs):
            return _wrap(op(host(t), *args, **kwargs))
        return impl

    lib.impl("empty.memory_format", empty_memory_format, "PrivateUse1")
    lib.impl("empty_strided", empty_strided, "PrivateUse1")
    lib.impl("_copy_from", copy_from, "PrivateUse1")
    lib.impl("_copy_from_and_resize", copy_from_and_resize, "PrivateUse1")
    # Views made in eager mode on npu tensors are host copies (PrivateUse1 has no Python way to share a
    # storage with a new shape); detach/alias keep the storage (C++ defaults), so parameters work.
    for name, op in (("view", torch.ops.aten.view.default), ("as_strided", torch.ops.aten.as_strided.default),
                     ("_reshape_alias", torch.ops.aten._reshape_alias.default)):
        lib.impl(name, view_like(op), "PrivateUse1")

    def fallback(op, *args, **kwargs):
        name = str(op)
        _STATE["eager"].append(name)
        warnings.warn(f"npusim: {name} ran eagerly on the npu device outside a compiled graph (not simulated)",
                      EagerOpWarning, stacklevel=3)
        out = op(*tree_map(host, args), **tree_map(host, kwargs))
        if "out" in kwargs:  # out= variants wrote into the host view of the given npu tensor
            return kwargs["out"]
        return tree_map(to_device, out)

    _STATE["fallback_lib"] = torch.library.Library("_", "IMPL")
    _STATE["fallback_lib"].fallback(lambda op, *a, **k: fallback(op, *a, **k), dispatch_key="PrivateUse1")


def device(index: int = 0, config=None) -> torch.device:
    """The `npu` device (set up on first call); compiled graphs on it are simulated on machine `config`."""
    if not _STATE["ready"]:
        from torch.utils.backend_registration import _setup_privateuseone_for_python_backend

        if torch._C._get_privateuse1_backend_name() not in ("privateuseone", "npu"):
            from npusim.errors import NpusimError

            raise NpusimError(f"PrivateUse1 is already taken by {torch._C._get_privateuse1_backend_name()!r}")
        if torch._C._get_privateuse1_backend_name() == "privateuseone":
            _setup_privateuseone_for_python_backend("npu")
        _STATE["lib"] = torch.library.Library("aten", "IMPL")
        _register(_STATE["lib"])
        _route_default_compile()
        _STATE["ready"] = True
    if config is not None or _STATE["session"] is None:
        from npusim_frontends.backend import Session

        _STATE["session"] = Session(config)
    return torch.device("npu", index)


def session():
    """The Session simulating graphs compiled on the npu device (its .results, .last_result)."""
    return _STATE["session"]


def _route_default_compile() -> None:
    """torch.compile's default backend compiles graphs with npu inputs through npusim, others unchanged."""
    import torch._inductor.compile_fx as cfx

    inductor = cfx.compile_fx
    if getattr(inductor, "_npusim_router", False):
        return

    def compile_fx(gm, example_inputs, *args, **kwargs):
        if any(isinstance(x, torch.Tensor) and x.device.type == "npu" for x in example_inputs):
            return _npu_backend(gm, example_inputs)
        return inductor(gm, example_inputs, *args, **kwargs)

    compile_fx._npusim_router = True
    cfx.compile_fx = compile_fx


def _host_devices(gm) -> None:
    """Factory ops traced with device=npu allocate on the host: the graph executes on host data."""
    for n in gm.graph.nodes:
        dev = n.kwargs.get("device") if n.op == "call_function" else None
        if dev is not None and torch.device(dev).type == "npu":
            n.kwargs = {**n.kwargs, "device": torch.device("cpu")}
    gm.recompile()


def _npu_backend(gm, example_inputs):
    """npusim backend for device graphs: host data in, host data computed, npu tensors out."""
    sess = _STATE["session"]
    inner_execute = sess.execute

    def execute(lg, args):
        out = inner_execute(lg, [host(a) for a in args])
        from torch.utils._pytree import tree_map

        return tree_map(to_device, out)

    if not getattr(sess, "_npu", False):
        sess.execute = execute
        sess.graph_hooks.append(_host_devices)
        sess._npu = True
    return sess(gm, example_inputs)
