"""One inference request: model name, inputs, outputs (filled in), queue, and its timeline."""
from __future__ import annotations

import itertools

import attrs

_ids = itertools.count()


@attrs.define(eq=False)
class Request:
    """Request(model_name, inputs, outputs, request_queue_idx=i) as in PyTorchSim's scheduler.

    Times are in milliseconds of simulated time; start/finish are None until the request ran.
    `outputs` (a list) receives the model's outputs when the request is dispatched.
    """

    model_name: str
    inputs: list = attrs.field(factory=list)
    outputs: list = attrs.field(factory=list)
    request_queue_idx: int = 0
    id: int = attrs.field(factory=lambda: next(_ids))
    arrival_ms: float = 0.0
    start_ms: float | None = None
    finish_ms: float | None = None
    partition: int = 0
    batch_size: int = 1

    @property
    def latency_ms(self) -> float | None:
        return None if self.finish_ms is None else self.finish_ms - self.arrival_ms
