"""praxisfinder: index layer."""
