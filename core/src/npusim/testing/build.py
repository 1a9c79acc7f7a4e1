"""Build one registered component for a preset machine, as a conformance test needs it."""
from __future__ import annotations

from npusim.config import load_config
from npusim.engine.components import BUILD_ORDER, KIND_OF, build_one
from npusim.interfaces.context import BuildContext
from npusim.plugins import make_plugins

SECTION_OF = {**{v: k for k, v in KIND_OF.items()}, "mapper": "mapper"}


def build_component(kind: str, name: str, machine: str | dict = "small-8x8", params: dict | None = None,
                    overrides: dict | None = None):
    """Component `name` of `kind` built for `machine` with `params` for its section.

    Components built before it in the machine's build order (e.g. the DRAM before a NoC) are built
    too, so the context (num_channels, ...) is complete; the result keeps them in `._deps`.
    """
    plugins = make_plugins()
    section = SECTION_OF[kind]
    ov = {"mapper.impl": "fixed"} if kind != "mapper" else {}  # other kinds never need the mapper
    ov.update(overrides or {})
    ov[f"{section}.impl"] = name
    for k, v in (params or {}).items():
        ov[f"{section}.{k}"] = v
    cfg = load_config(machine, plugins, overrides=ov)
    ctx = BuildContext(cfg)
    deps = {}
    for sec in BUILD_ORDER:
        if sec == section:
            break
        deps[sec] = build_one(sec, cfg, plugins, ctx)
    if section == "mapper":  # mappers are built as Impl(params, machine, timing)
        return plugins.registry.get("mapper", name).load()(cfg.params("mapper"), cfg, deps["timing"])
    comp = build_one(section, cfg, plugins, ctx)
    comp._deps = deps
    comp._ctx = ctx
    return comp
