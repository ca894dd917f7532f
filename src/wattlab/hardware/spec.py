"""Any catalogue device as its registry fields: ``dev.<name>.<field>`` read on demand.

Compute devices with a roofline are :class:`~wattlab.hardware.devices.Device`; everything else
(FPGAs, sensors, SoCs, radio modules) is a :class:`Spec`, whose :meth:`Spec.value` reads one
field through the registry, so the report cites it and the sensitivity pass can vary it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from wattlab.errors import SpecError
from wattlab.params import Registry

PREFIX = "dev."


def known_names(params: Registry, prefix: str = PREFIX) -> list[str]:
    """Names ``X`` with at least one ``<prefix>X.<field>`` entry."""
    return sorted({k[len(prefix):].split(".")[0] for k in params.params
                   if k.startswith(prefix) and k.count(".") >= 2})


def check_known(kind: str, name: str, known: list[str], prefix: str) -> None:
    """An unknown catalogue name is an error listing the known ones and how to add one."""
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise SpecError(f"unknown {kind} '{name}'{hint}; known: {', '.join(known)}. "
                        f"Add {prefix}{name}.<field> entries in a parameter file to define one")


@dataclass(frozen=True)
class Spec:
    """One catalogue entry (``dev.<name>.*``); fields are read through the registry."""

    name: str
    params: Registry
    prefix: str = PREFIX

    def key(self, field: str) -> str:
        return f"{self.prefix}{self.name}.{field}"

    @property
    def fields(self) -> list[str]:
        pre = f"{self.prefix}{self.name}."
        return sorted(k[len(pre):] for k in self.params.params if k.startswith(pre))

    def has(self, field: str) -> bool:
        return self.key(field) in self.params

    def value(self, field: str) -> float:
        """The SI value of ``field``; a missing one names the key to add."""
        key = self.key(field)
        if key not in self.params:
            raise SpecError(f"'{self.name}' has no field '{field}' in the catalogue; add "
                            f"'{key}' to a parameter file (known fields: {', '.join(self.fields)})")
        return self.params.value(key)


def spec(params: Registry, name: str) -> Spec:
    """The catalogue entry ``dev.<name>.*`` ('-' reads as '_')."""
    name = name.replace("-", "_")
    check_known("device", name, known_names(params), PREFIX)
    return Spec(name, params)
