"""desim.catalog."""
