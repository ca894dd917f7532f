"""Meters: NVML, RAPL and a labelled estimate — never silently mixed.

>>> with meter() as m:            # doctest: +SKIP
...     work()
>>> for r in m.readings: print(r)  # doctest: +SKIP

Every :class:`Reading` carries ``label`` (``measured:nvml``, ``measured:rapl`` or
``estimated:<how>``), what it ``covers``, the ``method`` and whether it is ``complete``.
"""

from wattlab.measure._meter import Meter, meter
from wattlab.measure._reading import MeterError, MeterLostError, Reading

__all__ = ["Meter", "MeterError", "MeterLostError", "Reading", "meter"]
