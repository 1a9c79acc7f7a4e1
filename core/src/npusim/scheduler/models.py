"""SchedulerDNNModel: registered models and their kernel lists (captured once per input signature)."""
from __future__ import annotations

from typing import Any, ClassVar

from npusim.errors import NpusimError
from npusim.registry import closest


class SchedulerDNNModel:
    """Class-level registry of served models (PyTorchSim: SchedulerDNNModel.register_model(name, model)).

    A model may be an `npusim.compile(...)` result, a torch.nn.Module or callable, or a workload
    spec / zoo name string (e.g. "resnet18:test", "encoder:256,4,64").
    """

    models: ClassVar[dict[str, Any]] = {}

    @classmethod
    def register_model(cls, name: str, model) -> None:
        cls.models[name] = model

    @classmethod
    def get(cls, name: str):
        if name not in cls.models:
            raise NpusimError(f"model {name!r} is not registered{closest(name, cls.models)}")
        return cls.models[name]

    @classmethod
    def clear(cls) -> None:
        cls.models.clear()


def resolve(model):
    """(callable module, default inputs or None) for a registered model."""
    if isinstance(model, str):
        from npusim_frontends import workloads

        return workloads.build(model)
    inner = getattr(model, "model", None)  # npusim.compile(...) result
    return (inner if inner is not None else model), None


def capture(model, inputs, machine) -> tuple[list, Any]:
    """(kernels, outputs): the KernelSpecs the frontend lowers `model(*inputs)` to, and its outputs."""
    import attrs
    import torch

    from npusim_frontends.backend import Session

    quiet = attrs.evolve(machine, sim=attrs.evolve(machine.sim, timing=False, functional=False))
    session = Session(quiet, functional=False)
    fn = torch.compile(model, backend=session, dynamic=False)
    with torch.no_grad():
        out = fn(*inputs)
    return [k for g in session.graphs for k in g.kernels], out
