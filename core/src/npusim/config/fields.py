"""Typed config parameters: `param()` declares an attrs field with description and unit; build/validate dicts."""
from __future__ import annotations

import types
import typing
from typing import Any

import attrs

from npusim.errors import ConfigError
from npusim.registry import closest


def param(default: Any, description: str, unit: str = "", choices: tuple | None = None, **kw) -> Any:
    """An attrs field with a description (required) and unit ('' for dimensionless)."""
    meta = {"description": description, "unit": unit, "choices": choices}
    if isinstance(default, (list, dict, set)):
        return attrs.field(factory=lambda d=default: type(d)(d), metadata=meta, **kw)
    return attrs.field(default=default, metadata=meta, **kw)


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{where}: expected {' or '.join(_type_name(a) for a in args)}, got {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (arg,) = typing.get_args(tp)[:1] or (Any,)
        return [_coerce(v, arg, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table/object, got {value!r}")
        kt, vt = typing.get_args(tp) or (Any, Any)
        return {_coerce(k, kt, where): _coerce(v, vt, f"{where}.{k}") for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ConfigError(f"{where}: expected true/false, got {value!r}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        try:
            f = float(value)
        except ValueError:
            raise ConfigError(f"{where}: expected an integer, got {value!r}") from None
        if f != int(f):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return int(f)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if attrs.has(tp):
        return build(tp, value, where)
    return value


def build(cls: type, data: dict | None, where: str) -> Any:
    """Instantiate attrs class `cls` from `data`, with one-line errors naming `where.key`."""
    data = dict(data or {})
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table/object, got {data!r}")
    fields = {f.name: f for f in attrs.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"unknown key {where}.{key}{closest(key, fields)}")
        f = fields[key]
        v = _coerce(value, hints.get(key, Any), f"{where}.{key}")
        choices = f.metadata.get("choices")
        if choices and v not in choices:
            raise ConfigError(f"{where}.{key}: {v!r} is not one of {', '.join(map(str, choices))}")
        kwargs[key] = v
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def describe(cls: type) -> list[dict]:
    """Rows (name, type, default, unit, description, choices) for every field of `cls`."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in attrs.fields(cls):
        default = f.default
        if isinstance(default, attrs.Factory):
            default = default.factory()
        rows.append({"name": f.name, "type": _type_name(hints.get(f.name, Any)), "default": default,
                     "unit": f.metadata.get("unit", ""), "description": f.metadata.get("description", ""),
                     "choices": f.metadata.get("choices")})
    return rows


_JSON_TYPES = {int: "integer", float: "number", str: "string", bool: "boolean"}


def json_schema(cls: type) -> dict:
    """JSON Schema (draft 2020-12 subset) of attrs class `cls`."""
    hints = typing.get_type_hints(cls)
    props = {}
    for f in attrs.fields(cls):
        tp = hints.get(f.name, Any)
        origin = typing.get_origin(tp)
        if attrs.has(tp):
            prop = json_schema(tp)
        elif origin in (list, tuple):
            prop = {"type": "array"}
        elif origin is dict:
            prop = {"type": "object"}
        elif origin in (typing.Union, types.UnionType):
            prop = {"type": [_JSON_TYPES.get(a, "null") for a in typing.get_args(tp)]}
        else:
            prop = {"type": _JSON_TYPES.get(tp, "string")}
        desc = f.metadata.get("description", "")
        unit = f.metadata.get("unit", "")
        prop["description"] = f"{desc} [{unit}]" if unit else desc
        if f.metadata.get("choices"):
            prop["enum"] = list(f.metadata["choices"])
        default = f.default
        if isinstance(default, attrs.Factory):
            default = default.factory()
        if default is not attrs.NOTHING:
            prop["default"] = default
        props[f.name] = prop
    return {"type": "object", "properties": props, "additionalProperties": False}


def to_dict(obj: Any) -> Any:
    """attrs instance → plain JSON-able dict."""
    return attrs.asdict(obj, recurse=True) if attrs.has(type(obj)) else obj
