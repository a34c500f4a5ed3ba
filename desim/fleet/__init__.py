"""desim.fleet."""
