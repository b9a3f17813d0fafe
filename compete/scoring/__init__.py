"""Metrics by name with their direction, OOF decision thresholds, and the plots of a run."""
