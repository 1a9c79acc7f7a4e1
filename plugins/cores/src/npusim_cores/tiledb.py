"""On-disk tile-latency database: one JSON file per (model version, hardware params, mode), merged under a
lock and replaced atomically so concurrent processes never lose entries or see a torn file."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from pathlib import Path

# Bump when any timing formula changes: old entries then live in a different file and are never reused.
MODEL_VERSION = "systolic-1"


def default_dir() -> Path:
    """$NPUSIM_CACHE_DIR/tiledb, or ~/.cache/npusim/tiledb."""
    base = os.environ.get("NPUSIM_CACHE_DIR") or os.path.join(Path.home(), ".cache", "npusim")
    return Path(base) / "tiledb"


def hw_key(params: dict) -> str:
    """Stable digest of the hardware/mode parameters that determine every latency."""
    blob = json.dumps({"model_version": MODEL_VERSION, **params}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


class TileDb:
    """Persistent tile latencies for one hardware configuration.

    Entries are keyed "gemm:m,n,k:dtype_bytes" or "<vec op>:elements:dtype_bytes" and hold
    [latency, occupancy] in core cycles.
    """

    def __init__(self, directory: str | os.PathLike, params: dict):
        self.dir = Path(directory)
        self.params = dict(params)
        self.key = hw_key(self.params)
        self.path = self.dir / f"{MODEL_VERSION}-{self.key}.json"

    def load(self) -> dict[str, list[int]]:
        """All stored entries ({} when the file does not exist yet)."""
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (json.JSONDecodeError, OSError):
            return {}  # unreadable file: recomputed latencies replace it on the next merge
        if data.get("model_version") != MODEL_VERSION or data.get("hw_key") != self.key:
            return {}
        return dict(data.get("entries", {}))

    def merge(self, new: dict[str, list[int]]) -> int:
        """Add `new` entries to the file (read-merge-write under an exclusive lock, atomic replace)."""
        if not new:
            return 0
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                entries = self.load()
                entries.update(new)
                doc = {"model_version": MODEL_VERSION, "hw_key": self.key, "hw": self.params,
                       "entries": entries}
                fd, tmp = tempfile.mkstemp(prefix=".tiledb-", suffix=".json", dir=self.dir)
                with os.fdopen(fd, "w") as f:
                    json.dump(doc, f, separators=(",", ":"), sort_keys=True)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return len(new)


def entries_from_cpp(text: str, vec_ops: tuple[str, ...]) -> dict[str, list[int]]:
    """Convert SystolicCore::export_entries lines into database entries."""
    out = {}
    for line in text.splitlines():
        kind, a, b, c, dt, lat, occ = line.split()
        if kind in ("g", "a"):  # a: gemm_accumulate (a later K step of an accumulation chain)
            out[f"{'gemm' if kind == 'g' else 'gemm_acc'}:{a},{b},{c}:{dt}"] = [int(lat), int(occ)]
        else:
            out[f"{vec_ops[int(a)]}:{b}:{dt}"] = [int(lat), int(occ)]
    return out


def entries_to_cpp(entries: dict[str, list[int]], vec_ops: tuple[str, ...]) -> str:
    """Convert database entries into SystolicCore::import_entries lines (unknown keys are skipped)."""
    index = {op: i for i, op in enumerate(vec_ops)}
    lines = []
    for key, (lat, occ) in entries.items():
        cls, shape, dt = key.split(":")
        if cls in ("gemm", "gemm_acc"):
            m, n, k = shape.split(",")
            lines.append(f"{'g' if cls == 'gemm' else 'a'} {m} {n} {k} {dt} {lat} {occ}")
        elif cls in index:
            lines.append(f"v {index[cls]} {shape} 0 {dt} {lat} {occ}")
    return "\n".join(lines) + "\n"
