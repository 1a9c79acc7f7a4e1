"""Scheduler: per-partition request queues on one shared machine (DRAM, NoC and L2 are shared)."""
from __future__ import annotations

from collections import deque

import attrs

from npusim.config import load_config
from npusim.driver import make_mapper
from npusim.engine.simulator import Simulator
from npusim.errors import NpusimError
from npusim.lowering import lower
from npusim.scheduler.models import SchedulerDNNModel, capture, resolve
from npusim.scheduler.report import ServingReport
from npusim.scheduler.request import Request


@attrs.define
class _Batch:
    requests: list
    last_launch: int
    first_launch: int


class Scheduler:
    """Serve requests of registered models on core partitions of one machine.

    num_request_queue: request queues (<= the config's scheduler.num_partitions).
    engine_select: FIFO_ENGINE (queue i runs on partition i, in arrival order) or RR_ENGINE (requests are
    spread round-robin over all partitions in arrival order).
    max_batch: dynamic batching: requests of one model waiting in a queue are fused into one batch of up to
    this many (inputs concatenated along dim 0) when the partition becomes free.
    """

    FIFO_ENGINE = 0
    RR_ENGINE = 1

    def __init__(self, num_request_queue: int = 1, engine_select: int = FIFO_ENGINE, config=None,
                 max_batch: int = 1, plugins=None, togsim_config=None):
        self.machine = load_config(config if config is not None else togsim_config, plugins)
        parts = self.machine.scheduler.num_partitions
        if not 1 <= num_request_queue <= parts:
            raise NpusimError(f"num_request_queue={num_request_queue} needs 1..{parts} partitions "
                              f"(config scheduler.num_partitions = {parts})")
        if engine_select not in (self.FIFO_ENGINE, self.RR_ENGINE):
            raise NpusimError(f"engine_select={engine_select!r}: use Scheduler.FIFO_ENGINE or Scheduler.RR_ENGINE")
        if max_batch < 1:
            raise NpusimError(f"max_batch must be >= 1, got {max_batch}")
        self.num_queues, self.engine_select, self.max_batch = num_request_queue, engine_select, max_batch
        self.sim = Simulator(self.machine, plugins)
        self.sim.engine.set_stop_on_launch_end(True)
        self.mapper = make_mapper(self.machine, self.sim.plugins, self.sim.components.timing)
        self.cycles_per_ms = self.machine.core.freq_mhz * 1e3
        self.queues: list[deque] = [deque() for _ in range(parts)]
        self.running: dict[int, _Batch] = {}
        self.requests: list[Request] = []
        self._rr = 0
        self._programs: dict[tuple, tuple[list[int], object]] = {}

    # -- requests -------------------------------------------------------------------------------
    def add_request(self, request: Request, request_time: float = 0.0) -> None:
        """Queue `request` arriving at `request_time` ms of simulated time."""
        if not 0 <= request.request_queue_idx < self.num_queues:
            raise NpusimError(f"request_queue_idx {request.request_queue_idx} not in 0..{self.num_queues - 1}")
        SchedulerDNNModel.get(request.model_name)
        request.arrival_ms = float(request_time)
        if self.engine_select == self.FIFO_ENGINE:
            request.partition = request.request_queue_idx
        else:
            request.partition = self._rr % self.machine.scheduler.num_partitions
            self._rr += 1
        q = self.queues[request.partition]
        q.append(request)
        if len(q) > 1 and q[-2].arrival_ms > request.arrival_ms:
            self.queues[request.partition] = deque(sorted(q, key=lambda r: (r.arrival_ms, r.id)))
        self.requests.append(request)

    def is_finished(self) -> bool:
        return not self.running and not any(self.queues)

    # -- one scheduling step --------------------------------------------------------------------
    def schedule(self) -> None:
        """Retire finished batches, dispatch waiting requests to idle partitions, simulate to the next event."""
        self._retire()
        now = self.sim.now_cycles
        for part, q in enumerate(self.queues):
            if part in self.running or not q:
                continue
            head = q[0]
            at = max(now, head.arrival_ms * self.cycles_per_ms)
            batch = [q.popleft()]
            while q and len(batch) < self.max_batch and q[0].model_name == head.model_name and \
                    q[0].arrival_ms * self.cycles_per_ms <= at:
                batch.append(q.popleft())
            self._dispatch(part, batch, at)
        if self.running:
            self.sim.run_until(None)  # returns at the next kernel completion (stop-on-launch-end)
        self._retire()

    def run(self) -> ServingReport:
        """Schedule until every request finished; the serving report."""
        while not self.is_finished():
            self.schedule()
        return self.report()

    def _program(self, name: str, inputs: list):
        """Engine kernel ids (lowered and registered once per model and input signature) and the outputs."""
        import torch

        key = (name, tuple((tuple(x.shape), str(x.dtype)) if isinstance(x, torch.Tensor) else repr(x) for x in inputs))
        if key not in self._programs:
            module, default = resolve(SchedulerDNNModel.get(name))
            kernels, out = capture(module, inputs or list(default or ()), self.machine)
            ids = []
            for k in kernels:
                ops = {role: f"{name}/{alias}" for role, alias in k.operands.items()}  # one address space per model
                k = attrs.evolve(k, operands=ops)
                ids.append(self.sim.add(lower(k, self.mapper.best(k), self.machine)))
            if not ids:
                raise NpusimError(f"model {name!r} lowered to no kernels")
            self._programs[key] = (ids, out)
            return ids, out
        ids, _ = self._programs[key]
        module, _ = resolve(SchedulerDNNModel.get(name))
        with torch.no_grad():
            return ids, module(*inputs)

    def _dispatch(self, part: int, batch: list[Request], at_cycle: float) -> None:
        import torch

        name = batch[0].model_name
        default = None
        per_request = []
        for r in batch:  # a request without inputs uses the model's example inputs
            if not r.inputs and default is None:
                default = list(resolve(SchedulerDNNModel.get(name))[1] or ())
            per_request.append(list(r.inputs) or default)
        inputs = per_request[0]
        if len(batch) > 1:
            inputs = [torch.cat([p[i] for p in per_request], 0) if isinstance(x, torch.Tensor) else x
                      for i, x in enumerate(inputs)]
        ids, out = self._program(name, list(inputs))
        launches = [self.sim.launch(kid, part, at_cycle=at_cycle, tenant=batch[0].request_queue_idx) for kid in ids]
        for i, r in enumerate(batch):
            r.batch_size = len(batch)
            r.outputs.append(_split(out, i, len(batch)))
        self.running[part] = _Batch(batch, launches[-1], launches[0])

    def _retire(self) -> None:
        for part, b in list(self.running.items()):
            end = self.sim.launch_span(b.last_launch)[1]
            if end < 0:
                continue
            start = self.sim.launch_span(b.first_launch)[0]
            for r in b.requests:
                r.start_ms, r.finish_ms = start / self.cycles_per_ms, end / self.cycles_per_ms
            del self.running[part]

    def report(self) -> ServingReport:
        return ServingReport.build(self.requests, self.sim.result(), self.machine)


def _split(out, i: int, n: int):
    """Output of the i-th of n batched requests."""
    import torch

    if n == 1:
        return out
    if isinstance(out, torch.Tensor):
        return out.chunk(n, 0)[i]
    if isinstance(out, (list, tuple)):
        return type(out)(_split(o, i, n) for o in out)
    return out
