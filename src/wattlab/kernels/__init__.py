"""Exact arithmetic on matrix engines: fields, RNS/Montgomery, NTT, MSM."""
