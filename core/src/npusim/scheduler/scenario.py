"""Serving scenarios from a TOML/JSON file: models, queues, Poisson or explicit arrivals (for `npusim serve-sim`)."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

from npusim.errors import ConfigError
from npusim.registry import closest
from npusim.scheduler.load import poisson_request_generator
from npusim.scheduler.models import SchedulerDNNModel
from npusim.scheduler.report import ServingReport
from npusim.scheduler.request import Request
from npusim.scheduler.scheduler import Scheduler

TOP = {"config", "queues", "engine", "max_batch", "tenants"}
TENANT = {"model", "queue", "lambda_per_s", "duration_ms", "seed", "arrivals_ms"}


def load_scenario(path: str | Path) -> dict:
    """Parse and check a scenario file (keys: config, queues, engine, max_batch, [[tenants]])."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"scenario file not found: {p}")
    try:
        data = tomllib.loads(p.read_text()) if p.suffix == ".toml" else json.loads(p.read_text())
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{p}: cannot parse scenario: {exc}") from None
    for k in data:
        if k not in TOP:
            raise ConfigError(f"{p}: unknown scenario key {k!r}{closest(k, TOP)}")
    if not data.get("tenants"):
        raise ConfigError(f"{p}: scenario needs at least one [[tenants]] entry (model, queue, lambda_per_s, ...)")
    for i, t in enumerate(data["tenants"]):
        for k in t:
            if k not in TENANT:
                raise ConfigError(f"{p}: tenants[{i}]: unknown key {k!r}{closest(k, TENANT)}")
        if "model" not in t:
            raise ConfigError(f"{p}: tenants[{i}] needs 'model' (a zoo name or workload spec)")
        if "arrivals_ms" not in t and "lambda_per_s" not in t:
            raise ConfigError(f"{p}: tenants[{i}] needs 'lambda_per_s' (+ 'duration_ms') or 'arrivals_ms'")
    if data.get("engine", "fifo") not in ("fifo", "rr"):
        raise ConfigError(f"{p}: engine must be 'fifo' or 'rr', got {data['engine']!r}")
    cfg = data.get("config", "tpuv3-2core")
    if isinstance(cfg, str) and (cfg.endswith(".toml") or cfg.endswith(".json")) and not Path(cfg).is_absolute():
        data["config"] = str((p.parent / cfg).resolve())
    return data


def run_scenario(data: dict, plugins=None) -> ServingReport:
    """Serve a parsed scenario to completion."""
    tenants = data["tenants"]
    queues = data.get("queues", max(int(t.get("queue", 0)) for t in tenants) + 1)
    engine = Scheduler.RR_ENGINE if data.get("engine") == "rr" else Scheduler.FIFO_ENGINE
    sched = Scheduler(num_request_queue=queues, engine_select=engine, config=data.get("config", "tpuv3-2core"),
                      max_batch=int(data.get("max_batch", 1)), plugins=plugins)
    for t in tenants:
        SchedulerDNNModel.register_model(t["model"], t["model"])
    for t in tenants:
        times = t.get("arrivals_ms") or poisson_request_generator(float(t["lambda_per_s"]),
                                                                  float(t.get("duration_ms", 10.0)),
                                                                  int(t.get("seed", 0)))
        for at in times:
            sched.add_request(Request(t["model"], [], [], request_queue_idx=int(t.get("queue", 0))),
                              request_time=float(at))
    return sched.run()
