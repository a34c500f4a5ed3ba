"""desim.sim."""
