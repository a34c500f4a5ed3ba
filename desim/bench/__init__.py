"""desim.bench: benchmarks the project ships (run them on the target machine)."""
