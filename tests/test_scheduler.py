"""Multi-tenancy: co-running tenants share DRAM (never faster than alone), batching, Poisson load, CLI."""
import json
import subprocess
import sys

import pytest

from npusim.errors import NpusimError
from npusim.scheduler import Request, Scheduler, SchedulerDNNModel, poisson_request_generator

RESNET, ENC = "resnet18:test", "encoder:64,4,32"


def serve(tenants, max_batch=1, engine=Scheduler.FIFO_ENGINE):
    SchedulerDNNModel.register_model(RESNET, RESNET)
    SchedulerDNNModel.register_model(ENC, ENC)
    s = Scheduler(num_request_queue=2, engine_select=engine, config="tpuv3-2core", max_batch=max_batch)
    for model, queue, times in tenants:
        for t in times:
            s.add_request(Request(model, [], [], request_queue_idx=queue), request_time=t)
    while not s.is_finished():
        s.schedule()
    return s.report(), s


def test_corunning_is_slower_than_alone_never_faster():
    times = [0.0, 0.05, 0.1]
    alone_r, _ = serve([(RESNET, 0, times)])
    alone_e, _ = serve([(ENC, 1, times)])
    both, s = serve([(RESNET, 0, times), (ENC, 1, times)])
    lat = {name: [r["latency_ms"] for r in both.requests if r["model"] == name] for name in (RESNET, ENC)}
    solo_r = [r["latency_ms"] for r in alone_r.requests]
    solo_e = [r["latency_ms"] for r in alone_e.requests]
    assert all(b >= a - 1e-9 for a, b in zip(solo_r, lat[RESNET]))
    assert all(b >= a - 1e-9 for a, b in zip(solo_e, lat[ENC]))
    assert sum(lat[RESNET]) + sum(lat[ENC]) > sum(solo_r) + sum(solo_e)  # shared HBM interferes
    assert {t["queue"] for t in both.tenants if t["dram_bytes"] > 0} == {0, 1}
    assert set(both.models) == {RESNET, ENC} and both.models[RESNET]["p99_ms"] >= both.models[RESNET]["p50_ms"]
    out = [r for r in s.requests if r.model_name == ENC][0].outputs[0]
    assert out.shape == (1, 32, 64)


def test_dynamic_batching_merges_waiting_requests():
    rep, s = serve([(ENC, 1, [0.0, 0.0, 0.0, 0.0])], max_batch=4)
    assert {r["batch"] for r in rep.requests} == {4}
    assert len({r["finish_ms"] for r in rep.requests}) == 1


def test_poisson_generator_deterministic_and_rate():
    a = poisson_request_generator(1000, max_msec_time=1000, seed=3)
    assert a == poisson_request_generator(1000, max_msec_time=1000, seed=3)
    assert 900 < len(a) < 1100 and all(x < y for x, y in zip(a, a[1:]))


def test_bad_queue_and_model():
    SchedulerDNNModel.register_model(ENC, ENC)
    s = Scheduler(num_request_queue=2, config="tpuv3-2core")
    with pytest.raises(NpusimError, match="request_queue_idx 5"):
        s.add_request(Request(ENC, request_queue_idx=5))
    with pytest.raises(NpusimError, match="not registered"):
        s.add_request(Request("nope"))
    with pytest.raises(NpusimError, match="num_request_queue=3"):
        Scheduler(num_request_queue=3, config="tpuv3-2core")


def test_serve_sim_cli(tmp_path):
    scen = tmp_path / "s.toml"
    scen.write_text('config = "tpuv3-2core"\n[[tenants]]\nmodel = "encoder:64,4,32"\nqueue = 1\n'
                    'arrivals_ms = [0.0, 0.01]\n')
    r = subprocess.run([sys.executable, "-m", "npusim.cli", "serve-sim", str(scen), "--json", str(tmp_path / "o.json")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "o.json").read_text())
    assert len(rep["requests"]) == 2 and all(x["latency_ms"] > 0 for x in rep["requests"])
    bad = tmp_path / "b.toml"
    bad.write_text('[[tenants]]\nmodell = "x"\n')
    r = subprocess.run([sys.executable, "-m", "npusim.cli", "serve-sim", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2 and "modell" in r.stderr
