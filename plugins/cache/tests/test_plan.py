"""Persistent-cache plans: file formats, plan vs transparent mode, path resolution, one-line errors."""
from pathlib import Path

import pytest

from npusim.config import load_config
from npusim.engine.components import build_components
from npusim.errors import ConfigError
from npusim.testing import build_component
from npusim_cache.plan import load_plan

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "cache"


@pytest.mark.parametrize("text", ['plan = {\n    "arg0_1"\n}', '# comment\nother = 3\nplan = {"arg0_1"}\n',
                                  '{"arg0_1"}', '["arg0_1"]', '{"plan": ["arg0_1"]}', "plan = ('arg0_1',)"])
def test_plan_file_forms(tmp_path, text):
    p = tmp_path / "plan.py"
    p.write_text(text)
    assert load_plan(p) == {"arg0_1"}


@pytest.mark.parametrize("text,needle", [("x = {'a'}", "no `plan"), ("plan = {f()}", "literal"),
                                         ("plan = {1, 2}", "tensor names"), ("plan = {", "not a plan")])
def test_bad_plan_files(tmp_path, text, needle):
    p = tmp_path / "plan.py"
    p.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_plan(p)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_missing_plan_file(tmp_path):
    with pytest.raises(ConfigError, match="plan file not found"):
        load_plan(tmp_path / "nope.py")


def test_plan_mode_marks_only_planned_tensors(tmp_path):
    p = tmp_path / "plan.py"
    p.write_text('plan = {"arg0_1"}')
    comp = build_component("cache", "sectored", params={"mode": "plan", "plan_path": str(p)})
    assert comp.plan == {"arg0_1"}
    assert comp.cacheable("arg0_1") and not comp.cacheable("arg1_1")
    assert comp.stats()["plan"] == ["arg0_1"] and comp.stats()["mode"] == "plan"


def test_transparent_mode_caches_everything():
    comp = build_component("cache", "sectored", params={"mode": "transparent"})
    assert comp.plan is None and comp.cacheable("anything")


def test_mode_and_plan_path_must_agree(tmp_path):
    with pytest.raises(ConfigError, match="cache.plan_path: required"):
        build_component("cache", "sectored", params={"mode": "plan"})
    p = tmp_path / "plan.py"
    p.write_text('plan = {"a"}')
    with pytest.raises(ConfigError, match="cache.mode = 'transparent'"):
        build_component("cache", "sectored", params={"plan_path": str(p)})
    with pytest.raises(ConfigError, match="cache.mode"):
        load_config("small-8x8", overrides={"cache.impl": "sectored", "cache.mode": "cmem"})


def test_example_configs_resolve_plan_relative_to_the_file():
    cfg = load_config(CONFIGS / "tpuv3_l2_plan.toml")
    assert Path(cfg.params("cache").plan_path) == (CONFIGS / "gemm_plan.py").resolve()
    comps = build_components(cfg)
    assert comps.cache.plan == {"arg1_1"} == load_plan(CONFIGS / "gemm_plan.json")
    assert comps.cache.cpp.num_channels() == 16
    transparent = build_components(load_config(CONFIGS / "tpuv3_l2_transparent.toml"))
    assert transparent.cache.plan is None
