"""Read persistent-cache (TPUv4 CMEM) plan files: the set of tensor names whose addresses the L2 may cache.

Accepted forms (never executed, parsed with ast.literal_eval / json):
  * PyTorchSim's SRAM_BUFFER_PLAN_PATH module: ``plan = {"arg0_1", "arg1_1"}`` (other top-level
    literal assignments are ignored),
  * a bare literal: ``{"arg0_1"}`` or ``["arg0_1", "buf3"]``,
  * JSON: ``["arg0_1"]`` or ``{"plan": ["arg0_1"]}``.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

from npusim.errors import ConfigError


def _names(value, path: Path) -> set[str]:
    if isinstance(value, dict) and "plan" in value:
        value = value["plan"]
    if not isinstance(value, (set, frozenset, list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"cache.plan_path {path}: expected a set/list of tensor names, e.g. plan = {{\"arg0_1\"}}")
    return set(value)


def load_plan(path: str | Path) -> set[str]:
    """Tensor names listed in plan file `path`; ConfigError (one line) when missing or malformed."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"cache.plan_path: plan file not found: {p}")
    text = p.read_text()
    try:
        return _names(json.loads(text), p)
    except json.JSONDecodeError:
        pass
    try:
        tree = ast.parse(text, filename=str(p))
    except SyntaxError as exc:
        raise ConfigError(f"cache.plan_path {p}: not a plan (line {exc.lineno}: {exc.msg})") from None
    body = tree.body
    if len(body) == 1 and isinstance(body[0], ast.Expr):
        node = body[0].value
    else:
        node = None
        for stmt in body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "plan" for t in stmt.targets):
                node = stmt.value
        if node is None:
            raise ConfigError(f"cache.plan_path {p}: no `plan = {{...}}` assignment found")
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise ConfigError(f"cache.plan_path {p}: `plan` must be a literal set/list of tensor names") from None
    return _names(value, p)
