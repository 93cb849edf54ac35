"""Names a package loads on first use (PEP 562), shared by the package and its subpackages.

Standard library only: the packages that use it must import fast (the command
line answers ``--help`` and refusals before torch is imported).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(
    package: str, table: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], object]:
    """A module ``__getattr__`` that imports ``table[name]`` on first access of ``name``.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (for the AttributeError message).
    table : mapping
        Public name -> the module that defines it.
    namespace : dict
        The package's ``globals()``: a loaded name is kept there, so later
        look-ups skip the function.
    """

    def __getattr__(name: str) -> object:
        try:
            module = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
