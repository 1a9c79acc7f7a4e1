"""Serving report: per-request timeline, per-model throughput and latency percentiles, DRAM bytes per tenant."""
from __future__ import annotations

import attrs
import numpy as np


@attrs.define
class ServingReport:
    """requests: rows {id, model, queue, partition, batch, arrival_ms, start_ms, finish_ms, latency_ms};
    models: per model {count, throughput_rps, p50_ms, p95_ms, p99_ms, mean_ms};
    tenants: per request queue {dram_bytes, dram_GBps}; total_ms: simulated span [ms]."""

    requests: list[dict]
    models: dict[str, dict]
    tenants: list[dict]
    total_ms: float

    @classmethod
    def build(cls, requests, sim_result, machine) -> ServingReport:
        rows = [{"id": r.id, "model": r.model_name, "queue": r.request_queue_idx, "partition": r.partition,
                 "batch": r.batch_size, "arrival_ms": r.arrival_ms, "start_ms": r.start_ms, "finish_ms": r.finish_ms,
                 "latency_ms": r.latency_ms} for r in requests]
        done = [r for r in rows if r["finish_ms"] is not None]
        total = max((r["finish_ms"] for r in done), default=0.0)
        models = {}
        for name in sorted({r["model"] for r in done}):
            lat = np.array([r["latency_ms"] for r in done if r["model"] == name])
            first = min(r["arrival_ms"] for r in done if r["model"] == name)
            last = max(r["finish_ms"] for r in done if r["model"] == name)
            models[name] = {"count": int(lat.size), "throughput_rps": lat.size / ((last - first) / 1e3) if last > first
                            else 0.0, "mean_ms": float(lat.mean()), "p50_ms": float(np.percentile(lat, 50)),
                            "p95_ms": float(np.percentile(lat, 95)), "p99_ms": float(np.percentile(lat, 99))}
        tb = sim_result.to_dict().get("tenant_bytes") or []
        span_s = total / 1e3
        tenants = [{"queue": i, "dram_bytes": b, "dram_GBps": b / span_s / 1e9 if span_s else 0.0}
                   for i, b in enumerate(tb)]
        return cls(rows, models, tenants, total)

    def to_dict(self) -> dict:
        return attrs.asdict(self)
