"""Exception types whose message is a single user-facing line (the CLI prints it and exits 2)."""


class NpusimError(Exception):
    """Base class of user-facing errors: str(err) is one line naming what is wrong."""


class ConfigError(NpusimError):
    """A machine config is invalid: unknown key, wrong type, missing file, bad value."""


class TogError(NpusimError):
    """A Tile-Operation Graph is malformed (cycle, shape mismatch, unmatched wait, spad overflow)."""


class RegistryError(NpusimError):
    """A component is unknown or registered twice."""


class WorkloadError(NpusimError):
    """A workload spec (gemm:M,N,K, model name, TOG path) cannot be parsed or found."""


class MappingError(NpusimError):
    """A mapping is invalid for its kernel (does not cover, does not fit the scratchpad)."""
