"""praxisfinder: eval layer."""
