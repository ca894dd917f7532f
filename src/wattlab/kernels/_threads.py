"""Thread limits the kernels set for themselves (the user should not have to).

The matrix NTT and the RNS conversions run many small float64 GEMMs; OpenBLAS's thread pool
costs more than it gives there, and on a shared machine it is 3–7× slower than one thread
(``docs/benchmarks/face.md``). :func:`single_blas` runs a function with BLAS limited to one
thread through ``threadpoolctl``; nested calls set the limit once.
``WATTLAB_BLAS_THREADS=N`` sets another limit, ``0`` leaves BLAS as it is.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_state = threading.local()
_controller: Any = None
_lock = threading.Lock()


def _limit() -> AbstractContextManager[Any]:
    global _controller
    n = int(os.environ.get("WATTLAB_BLAS_THREADS", "1") or "1")
    if n <= 0:
        return nullcontext()
    if _controller is None:
        with _lock:
            if _controller is None:
                from threadpoolctl import ThreadpoolController

                _controller = ThreadpoolController()  # scans the loaded libraries: once
    return _controller.limit(limits=n, user_api="blas")


def single_blas(fn: F) -> F:
    """Run ``fn`` with BLAS limited to one thread (see the module docstring)."""

    @functools.wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        depth = getattr(_state, "depth", 0)
        if depth:
            return fn(*args, **kwargs)
        _state.depth = 1
        try:
            with _limit():
                return fn(*args, **kwargs)
        finally:
            _state.depth = 0

    return inner  # type: ignore[return-value]
