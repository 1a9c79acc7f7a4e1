"""Entry-point plugin of npusim-frontends: registers the PyTorch frontend "torch"."""
from npusim.hookspecs import hookimpl


@hookimpl
def npusim_register_frontend(registry):
    from npusim_frontends.frontend import TorchFrontend, TorchFrontendConfig

    registry.register("torch", TorchFrontend, TorchFrontendConfig, TorchFrontend.__doc__)
