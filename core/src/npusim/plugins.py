"""PluginManager factory: loads every plugin of entry-point group "npusim" and fills a Registry."""
from __future__ import annotations

from importlib import metadata

import attrs
import pluggy

from npusim import hookspecs
from npusim.registry import KINDS, Registry

ENTRY_POINT_GROUP = "npusim"


@attrs.define
class PluginInfo:
    """One loaded plugin: entry-point name, distribution name and version, components registered."""

    name: str
    dist: str
    version: str
    components: list[str] = attrs.field(factory=list)


@attrs.define
class Plugins:
    """A PluginManager with its Registry; create one per simulation via `make_plugins()`."""

    pm: pluggy.PluginManager
    registry: Registry
    infos: list[PluginInfo]

    @property
    def hook(self):
        return self.pm.hook


def make_plugins(extra: list = ()) -> Plugins:
    """Load all installed plugins (plus `extra` plugin objects) and run their registration hooks."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    infos: dict[int, PluginInfo] = {}
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if pm.has_plugin(ep.name):
            continue
        plugin = ep.load()
        pm.register(plugin, name=ep.name)
        dist = ep.dist.name if ep.dist else "unknown"
        version = ep.dist.version if ep.dist else "0"
        infos[id(plugin)] = PluginInfo(ep.name, dist, version)
    for i, plugin in enumerate(extra):
        name = getattr(plugin, "__name__", f"extra{i}")
        pm.register(plugin, name=name)
        infos[id(plugin)] = PluginInfo(name, name, "0")
    registry = Registry()
    for kind in KINDS:
        caller = getattr(pm.hook, f"npusim_register_{kind}")
        for impl in caller.get_hookimpls():
            info = infos.get(id(impl.plugin), PluginInfo(impl.plugin_name, impl.plugin_name, "0"))
            registry.current_dist = info.dist
            before = set(registry.names(kind))
            impl.function(registry=registry.kind(kind))
            info.components += [f"{kind}:{n}" for n in sorted(set(registry.names(kind)) - before)]
    registry.current_dist = "unknown"
    return Plugins(pm, registry, list(infos.values()))
