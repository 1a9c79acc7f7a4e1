"""Load generation: Poisson arrivals (deterministic for a given seed)."""
from __future__ import annotations

import numpy as np


def poisson_request_generator(lambda_per_s: float, max_msec_time: float, seed: int = 0) -> list[float]:
    """Arrival times in ms of a Poisson process with rate `lambda_per_s` over [0, max_msec_time)."""
    if lambda_per_s <= 0 or max_msec_time <= 0:
        raise ValueError(f"lambda_per_s and max_msec_time must be > 0, got {lambda_per_s}, {max_msec_time}")
    rng = np.random.default_rng(seed)
    times, t = [], 0.0
    while True:
        t += rng.exponential(1000.0 / lambda_per_s)  # inter-arrival gaps are Exp(lambda) [ms]
        if t >= max_msec_time:
            return times
        times.append(float(t))
