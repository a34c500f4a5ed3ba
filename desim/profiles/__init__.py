"""desim.profiles."""
