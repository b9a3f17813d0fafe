"""Splitters from the spec and the fold loop that produces OOF and test predictions."""
