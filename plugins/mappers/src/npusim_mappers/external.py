"""External mapper: PyTorchSim's JSON mapping file, keyed "M_N_K" with TILE_M/TILE_N/TILE_K (+ SUB_TILE_*).

Other op classes use the same scheme with their dims in KernelSpec order: bmm "B_M_N_K" (falls back to
"M_N_K"), conv "N_H_W_C_O_KH_KW" with TILE_N/H/W/C/O/KH/KW (H/W: output rows/columns), vector "R_C" with
TILE_R/TILE_C and optional LANE_AXIS / LANE_STRIDE. A tile larger than its dim but within the padded
dim is clipped (PyTorchSim pads dims to the lane count); every entry is validated with check_mapping.
"""
from __future__ import annotations

import json
from pathlib import Path

from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping

from npusim_mappers import geometry as geo
from npusim_mappers.config import MapperConfig
from npusim_mappers.oneshot import OneShot
from npusim_mappers.validate import check_mapping


class MissingEntry(MappingError):
    """The mapping file has no entry for a kernel (fallback strategies catch this one)."""


def mapping_keys(kernel: KernelSpec) -> list[str]:
    """Candidate keys of `kernel` in the mapping file, most specific first."""
    d = kernel.dims
    if kernel.op == "gemm":
        return [f"{d['M']}_{d['N']}_{d['K']}"]
    if kernel.op == "bmm":
        return [f"{d['B']}_{d['M']}_{d['N']}_{d['K']}", f"{d['M']}_{d['N']}_{d['K']}"]
    return ["_".join(str(v) for v in d.values())]


def load_mapping_file(path: str) -> dict:
    """The JSON object in `path` (one-line MappingError when missing or malformed)."""
    if not path:
        raise MappingError("mapper.mapping_file: no external mapping file configured "
                           "(set mapper.mapping_file / codegen_external_mapping_file)")
    p = Path(path).expanduser()
    try:
        data = json.loads(p.read_text())
    except OSError as exc:
        raise MappingError(f"mapper.mapping_file: cannot read {p}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise MappingError(f"{p}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MappingError(f"{p}: expected a JSON object keyed 'M_N_K', got {type(data).__name__}")
    return data


def entry_to_mapping(kernel: KernelSpec, entry, key: str, source: str, machine, double_buffer: bool) -> Mapping:
    """Mapping of one file entry; MappingError naming `source` and `key` when it is invalid."""
    where = f"{source}: entry {key!r}"
    if not isinstance(entry, dict):
        raise MappingError(f"{where}: expected an object with TILE_* keys, got {entry!r}")
    ext = geo.extents(kernel)
    fac = geo.align_factors(kernel, machine)
    allowed = {f"TILE_{d}" for d in ext} | {f"SUB_TILE_{d}" for d in ext} | {"LANE_AXIS", "LANE_STRIDE"}
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise MappingError(f"{where}: unknown key {unknown[0]!r} (valid: {', '.join(sorted(allowed))})")
    tiles, subs = {}, {}
    for d, e in ext.items():
        name = f"TILE_{d}"
        if kernel.op == "bmm" and d == "B":
            tiles[d] = 1
            continue
        if name not in entry:
            if kernel.op in ("gemm", "bmm", "vector"):
                raise MappingError(f"{where}: missing {name}")
            tiles[d] = e
            continue
        t = entry[name]
        if isinstance(t, bool) or not isinstance(t, int) or t < 1:
            raise MappingError(f"{where}: {name}={t!r} must be a positive integer")
        pad = geo.padded(e, fac[d]) if fac[d] > 1 else e
        unit = geo.pad_factor(e, fac[d]) if fac[d] > 1 else 1
        if t > pad:
            raise MappingError(f"{where}: {name}={t} exceeds {d}={e} padded to {pad}")
        if min(t, e) != e and t % unit:
            raise MappingError(f"{where}: {name}={t} is not a multiple of the padding unit {unit} "
                               f"({d}={e} padded to {pad})")
        tiles[d] = min(t, e)
        sub = entry.get(f"SUB_TILE_{d}")
        if sub is not None:
            if isinstance(sub, bool) or not isinstance(sub, int) or not 1 <= sub <= t or t % sub:
                raise MappingError(f"{where}: SUB_TILE_{d}={sub!r} must divide {name}={t}")
            subs[d] = min(sub, tiles[d])
    axis = entry.get("LANE_AXIS", "")
    stride = entry.get("LANE_STRIDE", 1)
    if kernel.op == "vector":
        axis = axis or ("R" if kernel.reduce == "C" else "C")
    m = Mapping(tiles, geo.default_order(kernel), subs, double_buffer=double_buffer, lane_axis=axis,
                lane_stride=stride, source="external")
    try:
        check_mapping(kernel, m, machine)
    except MappingError as exc:
        raise MappingError(f"{where}: {exc}") from None
    return m


def mapping_to_entry(mapping: Mapping) -> dict:
    """File entry (TILE_* / SUB_TILE_* / LANE_*) of a mapping; inverse of entry_to_mapping."""
    e = {f"TILE_{d}": t for d, t in mapping.tiles.items()}
    e.update({f"SUB_TILE_{d}": t for d, t in mapping.sub_tiles.items()})
    if mapping.lane_axis:
        e["LANE_AXIS"] = mapping.lane_axis
        e["LANE_STRIDE"] = mapping.lane_stride
    return e


def write_mapping_file(path: str, items: list[tuple[KernelSpec, Mapping]]) -> None:
    """Write a PyTorchSim-style mapping file for (kernel, mapping) pairs."""
    data = {mapping_keys(k)[0]: mapping_to_entry(m) for k, m in items}
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True))


class ExternalMapper(OneShot):
    """Tiles from the configured mapping file; a kernel with no entry is a MappingError (MissingEntry)."""

    name = "external"

    def __init__(self, config: MapperConfig, machine, timing=None):
        self.config = config
        self.machine = machine
        self._data: dict | None = None
        super().__init__()

    @property
    def data(self) -> dict:
        if self._data is None:
            self._data = load_mapping_file(self.config.mapping_file)
        return self._data

    def lookup(self, kernel: KernelSpec) -> Mapping | None:
        """The file's mapping of `kernel`, or None when no key matches."""
        for key in mapping_keys(kernel):
            if key in self.data:
                return entry_to_mapping(kernel, self.data[key], key, self.config.mapping_file, self.machine,
                                        self.config.double_buffer)
        return None

    def best(self, kernel: KernelSpec, simulate=None) -> Mapping:
        m = self.lookup(kernel)
        if m is None:
            raise MissingEntry(f"{self.config.mapping_file}: no entry {mapping_keys(kernel)[0]!r} for kernel "
                               f"{kernel.name or kernel.op} (use mapper.impl 'external-then-heuristic' to fall back)")
        return m
