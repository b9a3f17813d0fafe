"""``compete run``: options, the orchestration, the time budget's plan, the final choice, the record;
blending past runs."""
