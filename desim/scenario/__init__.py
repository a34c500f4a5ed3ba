"""desim.scenario."""
