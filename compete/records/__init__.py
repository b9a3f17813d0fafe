"""Run folders, the ledger (runs and submissions tables) and atomic writes."""
