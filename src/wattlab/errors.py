"""Errors. Every message says what was wrong, where, and how to fix it."""

from __future__ import annotations

import math
from types import ModuleType


class WattlabError(Exception):
    """Base class: bad input or a missing dependency. The CLI maps it to exit code 2."""


class ParamError(WattlabError):
    """A parameter file, entry or value is malformed, unknown or out of range."""


class SpecError(WattlabError):
    """A user-supplied specification (shape, config, setting) is invalid."""


class StudyError(WattlabError):
    """An unknown study id, or a study that cannot run as asked."""


class MissingDependencyError(WattlabError, ImportError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the optional package '{package}'; "
            f"install it with: pip install 'wattlab[{extra}]'"
        )
        self.package = package
        self.extra = extra


def positive(field: str, value: float, *, allow_zero: bool = False) -> float:
    """``value`` as a float if it is finite and > 0 (>= 0 with ``allow_zero``), else SpecError."""
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise SpecError(f"'{field}' is {value!r}; it must be a finite number {bound}")
    return float(value)


def require(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import an optional module or raise MissingDependencyError naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(module.split(".")[0], extra, purpose) from exc
