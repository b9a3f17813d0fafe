"""Building, validating and scoring a submission file."""
