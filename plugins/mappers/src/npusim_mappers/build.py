"""Build a registered mapper for a machine (with its timing component), as the engine, tests and benchmarks do."""
from __future__ import annotations

from npusim.config.fields import build


def build_timing(machine, plugins=None):
    """The machine's compute-timing component (its `.cpp` answers gemm()/vector() tile timings)."""
    from npusim.engine.components import build_one
    from npusim.interfaces.context import BuildContext
    from npusim.plugins import make_plugins

    plugins = plugins or make_plugins()
    return build_one("timing", machine, plugins, BuildContext(machine))


def build_mapper(name: str, machine, params: dict | None = None, timing="auto", plugins=None):
    """Mapper `name` for `machine`; params override the machine's [mapper] section when its impl is `name`.

    timing: a built timing component, None (cost model falls back to the SCALE-Sim formula) or "auto"
    (build the machine's own).
    """
    from npusim.plugins import make_plugins

    plugins = plugins or make_plugins()
    spec = plugins.registry.get("mapper", name)
    base = {}
    if machine.components.get("mapper", ("", None))[0] == name:
        import attrs

        base = attrs.asdict(machine.params("mapper"))
    base.update(params or {})
    config = build(spec.config_cls, base, "mapper")
    if timing == "auto":
        timing = build_timing(machine, plugins)
    return spec.load()(config, machine, timing)
