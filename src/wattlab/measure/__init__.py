"""Meters: NVML, RAPL and a labelled estimate — never silently mixed."""
