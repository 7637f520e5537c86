"""praxisfinder: service layer."""
