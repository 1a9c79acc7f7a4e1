"""Compile C++ sources into a shared library cached by a hash of sources + flags, then load it via cppyy."""
from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import threading
from pathlib import Path

INCLUDE_DIR = Path(__file__).resolve().parent.parent / "include"
CXX_FLAGS = ["-O2", "-fPIC", "-shared", "-std=c++17", "-DNDEBUG"]
_lock = threading.Lock()
_loaded: dict[str, Path] = {}


def cache_dir() -> Path:
    """Directory for compiled libraries (env NPUSIM_CACHE_DIR, default ~/.cache/npusim/cpp)."""
    base = os.environ.get("NPUSIM_CACHE_DIR") or os.path.join(Path.home(), ".cache", "npusim")
    return Path(base) / "cpp"


def _digest(name: str, sources: list[Path], headers: list[Path], include_dirs: list[Path], flags: list[str]) -> str:
    h = hashlib.sha256()
    h.update(name.encode())
    h.update(" ".join(flags).encode())
    all_headers = set(headers)
    for d in include_dirs:
        all_headers.update(p for p in Path(d).rglob("*.hpp"))
    for p in sorted(set(sources)) + sorted(all_headers):
        h.update(str(p.name).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:20]


def _compile(name: str, sources: list[Path], include_dirs: list[Path], out: Path, flags: list[str]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".so", dir=out.parent)
    os.close(fd)
    cmd = ["g++", *flags, *[f"-I{d}" for d in include_dirs], *map(str, sources), "-o", tmp]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        os.unlink(tmp)
        raise RuntimeError(f"C++ build of {name!r} failed:\n{proc.stderr[-4000:]}")
    os.replace(tmp, out)  # atomic: concurrent builders never see a torn library


def load_cpp(name: str, sources: list[Path | str], headers: list[Path | str],
             include_dirs: list[Path | str] = (), extra_flags: list[str] = ()) -> Path:
    """Build (if needed) and load library `name`; `headers` are included into cppyy.

    extra_flags are appended to the g++ flags (and to the cache key), e.g. ["-O3"] for hot loops.
    Returns the path of the loaded shared library. Loading the same name twice is a no-op.
    """
    with _lock:
        if name in _loaded:
            return _loaded[name]
        srcs = [Path(s).resolve() for s in sources]
        hdrs = [Path(h).resolve() for h in headers]
        incs = [INCLUDE_DIR, *[Path(d).resolve() for d in include_dirs]]
        flags = [*CXX_FLAGS, *extra_flags]
        lib = cache_dir() / f"{name}-{_digest(name, srcs, hdrs, incs, flags)}" / f"lib{name}.so"
        if not lib.exists():
            _compile(name, srcs, incs, lib, flags)
        import cppyy  # imported only when a C++ component is built

        for d in incs:
            cppyy.add_include_path(str(d))
        for hdr in hdrs:
            cppyy.include(str(hdr))
        cppyy.load_library(str(lib))
        _loaded[name] = lib
        return lib
