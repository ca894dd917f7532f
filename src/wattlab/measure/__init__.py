"""Meters: NVML, RAPL and a labelled estimate — never silently mixed.

>>> with meter() as m:            # doctest: +SKIP
...     work()
>>> for r in m.readings: print(r)  # doctest: +SKIP
>>> @measured(devices="auto")       # doctest: +SKIP
... def train(): ...
>>> measure_command(["python", "train.py"])  # doctest: +SKIP

Every :class:`Reading` carries ``label`` (``measured:nvml``, ``measured:rapl`` or
``estimated:<how>``), what it ``covers``, the ``method`` and whether it is ``complete``.
"""

from wattlab.measure._meter import Meter, meter
from wattlab.measure._reading import MeterError, MeterLostError, Reading
from wattlab.measure.command import (
    CommandMeasurement,
    GridIntensity,
    measure_command,
    measured,
)

__all__ = ["CommandMeasurement", "GridIntensity", "Meter", "MeterError", "MeterLostError",
           "Reading", "measure_command", "measured", "meter"]
