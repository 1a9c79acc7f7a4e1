"""Public API: npusim.compile(model, config=...), run_workload(spec, machine), the registered frontend "torch"."""
from __future__ import annotations

import time

import attrs
from npusim.config.fields import param


@attrs.define
class TorchFrontendConfig:
    """PyTorch frontend settings (the machine config's sim section decides fusion and functional mode)."""

    dynamic: bool = param(False, "let torch.compile trace dynamic shapes (False: one graph per input shape)")
    progress: bool = param(False, "show a rich progress display for compile / map / simulate")


class TorchFrontend:
    """PyTorch programs (torch.compile backend "npusim", model zoo, micro-benchmark specs) -> kernels -> SimResult."""

    def __init__(self, config: TorchFrontendConfig | None = None, ctx=None):
        self.config = config or TorchFrontendConfig()

    def build(self, spec: str):
        """(torch.nn.Module, example_inputs) of a workload spec or zoo name."""
        from npusim_frontends import workloads

        return workloads.build(spec)

    def run(self, spec: str, machine, plugins=None):
        return run_workload(spec, machine, plugins=plugins, progress=self.config.progress)


class Compiled:
    """A model compiled for the simulator: call it like the model; `.results` holds one SimResult per graph call."""

    def __init__(self, model, session, **compile_kwargs):
        import torch

        self.model = model
        self.session = session
        compile_kwargs.setdefault("dynamic", False)
        # fullgraph: a graph break would run part of the model eagerly, unsimulated; fail loudly instead.
        compile_kwargs.setdefault("fullgraph", True)
        self._fn = torch.compile(model, backend=session, **compile_kwargs)

    def __call__(self, *args, **kwargs):
        start = len(self.session.results)
        out = self._fn(*args, **kwargs)
        self.call_results = self.session.results[start:]
        return out

    @property
    def results(self) -> list:
        """SimResult of every graph call so far (forward, backward, optimizer graphs), in call order."""
        return self.session.results

    @property
    def last_result(self):
        return self.session.last_result


def compile(model, config=None, *, functional: bool | None = None, fusion=None, progress: bool = False,
            plugins=None, **compile_kwargs) -> Compiled:
    """Compile `model` (module or function) for machine `config` (preset, path, dict or MachineConfig)."""
    from npusim_frontends.backend import Session

    session = Session(config, functional=functional, plugins=plugins, progress=progress, fusion=fusion)
    return Compiled(model, session, **compile_kwargs)


def merge_results(session, calls: list, plugins=None, trace: bool = False):
    """One SimResult for a whole program: all graph calls' kernels simulated in order on one machine."""
    from npusim_frontends import simulate

    if len(calls) == 1 and not trace:
        return calls[0]
    graphs = {r.extra["graph"]: g for g in session.graphs for r in calls if r.extra["graph"] == g.tag}
    kernels = [k for r in calls for k in graphs[r.extra["graph"]].kernels]
    res = simulate.run(kernels, session.machine, plugins, trace=trace)
    checks = [r.extra["functional_check"] for r in calls]
    status = ("off" if all(c["status"] == "off" for c in checks) else
              "failed" if any(c["status"] == "failed" for c in checks) else "passed")
    errs = [c for c in checks if c["status"] != "off"]
    res.extra = {"graphs": [r.extra["graph"] for r in calls],
                 "functional_check": {"status": status,
                                      "max_abs_err": max((c["max_abs_err"] for c in errs), default=None),
                                      "max_rel_err": max((c["max_rel_err"] for c in errs), default=None)},
                 "untimed_ops": [u for r in calls for u in r.extra["untimed_ops"]],
                 "num_kernels": len(kernels)}
    return res


def run_workload(spec: str, machine, plugins=None, trace: bool = False, progress: bool = True):
    """Build workload `spec` (zoo name or micro-benchmark), compile and run it once; its SimResult.

    The result's extra carries functional_check, untimed_ops and frontend timings (compile / map+simulate /
    functional seconds). With `trace`, the whole program is simulated once more with tracing on.
    """
    import torch

    from npusim_frontends import workloads
    from npusim_frontends.backend import Session
    from npusim_frontends.progress import kernel_table

    t0 = time.perf_counter()
    model, inputs = workloads.build(spec, dtype=machine.sim.dtype)
    build_s = time.perf_counter() - t0
    session = Session(machine, plugins=plugins, progress=progress)
    torch._dynamo.reset()  # a full recompile cache would silently fall back to eager
    # fullgraph: the whole model must be one captured program (no eager code between graphs).
    fn = torch.compile(model, backend=session, dynamic=False, fullgraph=True)
    t0 = time.perf_counter()
    with torch.no_grad():
        fn(*inputs)
    total = time.perf_counter() - t0
    if not session.results:
        from npusim.errors import WorkloadError

        raise WorkloadError(f"workload {spec!r}: torch.compile captured no graph")
    res = merge_results(session, session.results, plugins, trace=trace)
    res.extra["frontend_seconds"] = {"build": round(build_s, 3), "trace_compile": round(
        total - session.timings["map_simulate_s"] - session.timings["functional_s"], 3),
        "lower": round(session.timings["compile_s"], 3), "map_simulate": round(session.timings["map_simulate_s"], 3),
        "functional": round(session.timings["functional_s"], 3)}
    res.extra["workload"] = spec
    if progress:
        kernel_table(res)
    return res
