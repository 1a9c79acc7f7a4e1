"""On-disk cache of chosen mappings keyed by (kernel signature, machine fingerprint); atomic writes."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from npusim.kernels import Mapping

CACHE_VERSION = 2  # bump when the cost model or lowering templates change meaning


def machine_key(machine, extra: dict | None = None) -> str:
    """Fingerprint of everything that changes a mapping's cost: core, memory, timing/dram/noc/cache params."""
    d = machine.to_dict()
    body = {k: d.get(k) for k in ("core", "memory", "timing", "dram", "noc", "cache")}
    body["extra"] = extra or {}
    body["version"] = CACHE_VERSION
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:20]


class MappingCache:
    """One JSON file per (kernel, machine) under `root`; a missing root disables the cache."""

    def __init__(self, root: str):
        self.root = Path(os.path.expanduser(root)) if root else None

    def _path(self, signature: str, mkey: str) -> Path:
        h = hashlib.sha256(f"{signature}|{mkey}".encode()).hexdigest()[:32]
        return self.root / mkey / f"{h}.json"

    def get(self, signature: str, mkey: str) -> dict | None:
        """{'mapping': Mapping, 'cycles': float, 'simulated': bool} or None."""
        if self.root is None:
            return None
        p = self._path(signature, mkey)
        try:
            data = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        if data.get("signature") != signature:
            return None
        m = data["mapping"]
        return {"mapping": Mapping(**m), "cycles": data["cycles"], "simulated": data["simulated"]}

    def put(self, signature: str, mkey: str, mapping: Mapping, cycles: float, simulated: bool) -> None:
        """Write atomically (temp file + os.replace) so concurrent runs never read half a file."""
        if self.root is None:
            return
        p = self._path(signature, mkey)
        p.parent.mkdir(parents=True, exist_ok=True)
        data = {"signature": signature, "mapping": mapping.to_dict(), "cycles": cycles, "simulated": simulated}
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
            os.replace(tmp, p)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
