"""The kit's ComputeTiming conformance tests against the "systolic" component (ws/os/is, TLS and ILS)."""
from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings

import npusim.testing as kit
from npusim.testing.timing import ComputeTimingConformance


def _per_class_executors(cls):
    """Give `cls` its own @given copies of the kit's property tests.

    Hypothesis ties each @given method to the first instance that runs it (HealthCheck
    .differing_executors), so a second subclass of the kit in one pytest process would fail; fresh
    copies per class avoid that (reported to the kit owner as a kit change).
    """
    for name in dir(ComputeTimingConformance):
        base = getattr(ComputeTimingConformance, name)
        if name.startswith("test_") and hasattr(base, "hypothesis"):
            inner = base.hypothesis.inner_test

            @functools.wraps(inner)
            def copy(self, *a, _inner=inner, **kw):
                return _inner(self, *a, **kw)

            setattr(cls, name, settings(deadline=None)(given(**base.hypothesis._given_kwargs)(copy)))
    return cls


@pytest.fixture(autouse=True)
def _tls_default(monkeypatch):
    monkeypatch.delenv("NPUSIM_TLS_MODE", raising=False)


def _systolic(dataflow: str, tls: bool = True):
    return kit.build_component("core", "systolic", params={"dataflow": dataflow, "tile_db": False},
                               overrides={"sim.tls": tls})


@_per_class_executors
class TestSystolicWs(ComputeTimingConformance):
    def make_component(self):
        return _systolic("ws")


@_per_class_executors
class TestSystolicOs(ComputeTimingConformance):
    def make_component(self):
        return _systolic("os")


@_per_class_executors
class TestSystolicIs(ComputeTimingConformance):
    def make_component(self):
        return _systolic("is")


@_per_class_executors
class TestSystolicIlsWs(ComputeTimingConformance):
    def make_component(self):
        return _systolic("ws", tls=False)

    def test_mode_is_ils(self):
        assert self.make_component().stats()["mode"] == "ils"
