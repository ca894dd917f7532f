"""Per-process memo of a deterministic function of the parameters.

Several studies of one paper (and every point of a sensitivity pass that leaves a function's keys
alone) call the same simulation with the same parameter values. :func:`memoized` computes it once
per process. The keys the first call read are kept with its result and added to the ``used`` set of
every tracking registry a later call passes, so provenance and the sensitivity pass's key discovery
see the same keys whether the result was computed or recalled.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, ParamSpec, TypeVar

from wattlab.params import Registry

P = ParamSpec("P")
R = TypeVar("R")


def _values(reg: Registry) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((k, p.value) for k, p in reg.params.items()))


def memoized(maxsize: int = 1024) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function whose result depends only on its arguments and on the *values* of the
    registries among them (positional or keyword; other arguments must be hashable). The result is
    shared, not copied: callers must not change it. At most ``maxsize`` results are kept (least
    recently used dropped first)."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        store: OrderedDict[Hashable, tuple[Any, tuple[frozenset[str], ...]]] = OrderedDict()

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            named = sorted(kwargs.items())
            regs = [a for a in (*args, *(v for _, v in named)) if isinstance(a, Registry)]
            key = tuple(_values(a) if isinstance(a, Registry) else a for a in args), tuple(
                (k, _values(v) if isinstance(v, Registry) else v) for k, v in named)
            hit = store.get(key)
            if hit is None:
                views = {id(r): r.tracking() for r in regs}

                def view(a: Any) -> Any:
                    return views[id(a)] if isinstance(a, Registry) else a

                result = fn(*(view(a) for a in args),
                            **{k: view(v) for k, v in kwargs.items()})
                hit = (result, tuple(frozenset(views[id(r)].used or ()) for r in regs))
                store[key] = hit
                if len(store) > maxsize:
                    store.popitem(last=False)
            else:
                store.move_to_end(key)
            for reg, used in zip(regs, hit[1], strict=True):
                if reg.used is not None:
                    reg.used.update(used)
            return hit[0]

        return call

    return wrap


__all__ = ["memoized"]
