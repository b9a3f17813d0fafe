"""Optuna glue: storage, study names, the objective (the run's own fold loop), ``compete tune``, the
time budget's tuner, and best parameters into a run."""
