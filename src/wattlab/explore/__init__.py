"""Design-space search and Pareto fronts."""
