"""Integrated energy system (buildings + data centre): day-ahead dispatch LP, realised cost,
and predict-then-optimise vs decision-focused forecasters (arXiv 2604.14184, reconstructed)."""

from wattlab.systems.ies.dispatch import BALANCES, PLAN_VARS, Dispatch, realised_cost, solve
from wattlab.systems.ies.plant import Plant
from wattlab.systems.ies.profiles import (
    N_FEATURES,
    TARGETS,
    Day,
    days_around,
    eemeter_days,
    load_profile_csv,
    synth_day,
    synth_days,
)

__all__ = ["BALANCES", "N_FEATURES", "PLAN_VARS", "TARGETS", "Day", "Dispatch", "Plant",
           "days_around", "eemeter_days", "load_profile_csv", "realised_cost", "solve", "synth_day",
           "synth_days"]
