"""desim.assets."""
