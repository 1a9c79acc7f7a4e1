"""Typed component registry: one table per component kind, lazy `module:Class` resolution."""
from __future__ import annotations

import difflib
import importlib
from typing import Any

import attrs

from npusim.errors import RegistryError

KINDS = ("dram", "noc", "cache", "core", "mapper", "frontend", "reporter")


def closest(word: str, choices) -> str:
    """' (did you mean X?)' suffix naming the closest valid choice, or the list of choices."""
    choices = sorted(choices)
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if match:
        return f" (did you mean {match[0]!r}?)"
    return f" (valid: {', '.join(choices)})" if choices else ""


@attrs.define
class ComponentSpec:
    """A registered component: its kind, name, implementation, typed config and origin."""

    kind: str
    name: str
    impl: Any  # a class, or "module:Class" resolved on first use
    config_cls: type
    description: str
    dist: str

    def load(self) -> type:
        """Resolve and return the implementation class."""
        if isinstance(self.impl, str):
            mod, _, attr = self.impl.partition(":")
            try:
                self.impl = getattr(importlib.import_module(mod), attr)
            except (ImportError, AttributeError) as exc:
                raise RegistryError(f"{self.kind} {self.name!r}: cannot load {self.impl!r} ({exc})") from exc
        return self.impl


class KindRegistry:
    """Registration handle for one kind; `register` is what plugins call from their hooks."""

    def __init__(self, owner: Registry, kind: str):
        self._owner = owner
        self.kind = kind

    def register(self, name: str, impl: Any, config_cls: type, description: str) -> None:
        """Register component `name` implemented by `impl` (class or "module:Class")."""
        self._owner.add(ComponentSpec(self.kind, name, impl, config_cls, description, self._owner.current_dist))


class Registry:
    """All components known to one PluginManager (no module-global state)."""

    def __init__(self):
        self._tables: dict[str, dict[str, ComponentSpec]] = {k: {} for k in KINDS}
        self.current_dist = "unknown"

    def kind(self, kind: str) -> KindRegistry:
        if kind not in self._tables:
            raise RegistryError(f"unknown component kind {kind!r}{closest(kind, KINDS)}")
        return KindRegistry(self, kind)

    def add(self, spec: ComponentSpec) -> None:
        table = self._tables[spec.kind]
        if not attrs.has(spec.config_cls):
            raise RegistryError(f"{spec.kind} {spec.name!r} from {spec.dist}: config_cls must be an attrs class")
        if spec.name in table:
            other = table[spec.name]
            raise RegistryError(
                f"{spec.kind} component {spec.name!r} registered twice: by {other.dist} and by {spec.dist}")
        table[spec.name] = spec

    def get(self, kind: str, name: str) -> ComponentSpec:
        table = self._tables.get(kind)
        if table is None:
            raise RegistryError(f"unknown component kind {kind!r}{closest(kind, KINDS)}")
        if name not in table:
            raise RegistryError(f"unknown {kind} implementation {name!r}{closest(name, table)}")
        return table[name]

    def names(self, kind: str) -> list[str]:
        return sorted(self._tables[kind])

    def all(self) -> list[ComponentSpec]:
        return [s for k in KINDS for s in self._tables[k].values()]
