"""desim.llm."""
