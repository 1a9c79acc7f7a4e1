"""Python side of the component contracts (the C++ side lives in include/npusim/*.hpp)."""
from npusim.interfaces.context import BuildContext, Component

__all__ = ["BuildContext", "Component"]
