"""desim.analysis."""
