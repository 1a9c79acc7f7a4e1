"""Machine configuration: typed schema, JSON/TOML loading, presets, PyTorchSim flat-config compatibility."""
from npusim.config.fields import build, describe, json_schema, param
from npusim.config.loader import dump_config, load_config, preset_names
from npusim.config.schema import CoreConfig, MachineConfig

__all__ = ["param", "build", "describe", "json_schema", "load_config", "dump_config", "preset_names",
           "CoreConfig", "MachineConfig"]
